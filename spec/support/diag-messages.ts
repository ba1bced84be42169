import { otel } from './otel.ts';

/** Errors reported to OpenTelemetry's diag logger while `body` runs. */
export function diagErrorsDuring(body: () => unknown): Promise<string[]> {
  return diagMessagesDuring('error', body);
}

/** The ttlog warnings (messages starting "ttlog:") `body` sends to OpenTelemetry's diag logger. */
export async function ttlogWarningsDuring(body: () => unknown): Promise<string[]> {
  const warnings = await diagMessagesDuring('warn', body);
  return warnings.filter((message) => message.startsWith('ttlog:'));
}

/** The messages of one level a real diag logger gets while `body` runs; the logger is removed after. */
async function diagMessagesDuring(level: 'error' | 'warn', body: () => unknown): Promise<string[]> {
  const messages: string[] = [];
  const ignore = () => undefined;
  const collect = (message: string) => messages.push(message);
  otel.diag.setLogger(
    { error: level === 'error' ? collect : ignore, warn: level === 'warn' ? collect : ignore, info: ignore, debug: ignore, verbose: ignore },
    level === 'error' ? otel.DiagLogLevel.ERROR : otel.DiagLogLevel.WARN,
  );
  try {
    await body();
  } finally {
    otel.diag.disable();
  }
  return messages;
}
