/**
 * The OpenTelemetry SDK the suite runs against: the 0.2xx line by default, the 3.x line when
 * TTLOG_OTEL_LINE=3 (set by `spec/run.js --otel 3`). Both export the same names.
 */
type Sdk = typeof import('./otel-v2.ts');

// The 3.x line needs Node 22 or later, so `npm run test:otel3` installs it into otel-v3/ with
// Node 24 at test time rather than the project's install on Node 20; the type check leaves the
// folder out, and the path is not a literal so it does not follow this import either.
const otelV3 = './otel-v3/index.ts';

export const otel: Sdk = process.env.TTLOG_OTEL_LINE === '3' ? ((await import(otelV3)) as Sdk) : await import('./otel-v2.ts');
