/**
 * The OpenTelemetry SDK the suite runs against: the 0.2xx line by default, the 3.x line when
 * TTLOG_OTEL_LINE=3 (set by `spec/run.js --otel 3`). Both export the same names.
 */
type Sdk = typeof import('./otel-v2.ts');

export const otel: Sdk =
  process.env.TTLOG_OTEL_LINE === '3' ? ((await import('./otel-v3/index.ts')) as unknown as Sdk) : await import('./otel-v2.ts');
