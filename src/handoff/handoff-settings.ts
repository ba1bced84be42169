/**
 * The `handoff` option as the user gives it → complete settings with the defaults filled in.
 * Nonsense throws a `RangeError` or `TypeError` from the processor's constructor, as the other
 * options do: a hand-off that cannot work should fail at startup, not at the error it was for.
 */
import type { LogRecordExporterLike } from '../otel-types.ts';
import type { HandoffOptions } from '../types.ts';

/** The `handoff` option checked, with every default filled in (`HandoffOptions` says what each means). */
export interface HandoffSettings {
  readonly exporter: LogRecordExporterLike;
  readonly scope: 'trace' | 'all';
  readonly recover: boolean;
  readonly timeoutMillis: number;
  readonly maxExportBatchSize: number;
}

/** A few seconds: a termination signal's hand-off must end well within Kubernetes' 30 s grace period. */
const DEFAULT_TIMEOUT_MILLIS = 5_000;
/** As the SDK's `BatchLogRecordProcessor`. */
const DEFAULT_BATCH_SIZE = 512;
const MAX_TIMEOUT_MILLIS = 2 ** 31 - 1;

/** The settings `options` asks for; throws a `TypeError` or `RangeError` for options that cannot work. */
export function handoffSettings(options: HandoffOptions): HandoffSettings {
  const exporter = options.exporter;
  if (typeof exporter?.export !== 'function' || typeof exporter.shutdown !== 'function') {
    throw new TypeError('ttlog: handoff.exporter must be a LogRecordExporter (with export() and shutdown())');
  }
  const scope = options.scope ?? 'trace';
  if (scope !== 'trace' && scope !== 'all') throw new RangeError(`ttlog: handoff.scope must be 'trace' or 'all', got ${String(scope)}`);
  return {
    exporter,
    scope,
    recover: options.recover ?? true,
    timeoutMillis: wholeNumber('handoff.timeoutMillis', options.timeoutMillis ?? DEFAULT_TIMEOUT_MILLIS, MAX_TIMEOUT_MILLIS),
    maxExportBatchSize: wholeNumber('handoff.maxExportBatchSize', options.maxExportBatchSize ?? DEFAULT_BATCH_SIZE, 1 << 20),
  };
}

function wholeNumber(name: string, value: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > max)
    throw new RangeError(`ttlog: ${name} must be an integer from 1 to ${max}, got ${String(value)}`);
  return value;
}
