/**
 * The `persist` option with its defaults filled in (README, "persist").
 */
import type { PersistOptions } from '../types.ts';

/** Default `persist.intervalMs`: how often newly committed records are copied to the file. */
export const DEFAULT_PERSIST_INTERVAL_MS = 100;
/** Node's timers hold at most 2^31 − 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Where and how often a ring is persisted, and for which service. */
export interface PersistSettings {
  readonly directory: string;
  readonly intervalMs: number;
  /** The exporter's `serviceName`; `undefined`: named by the resource when the file is recovered. */
  readonly service: string | undefined;
}

/** The settings `option` asks for, `undefined` when off; throws a `RangeError` for an interval that cannot work. */
export function persistSettings(
  option: boolean | PersistOptions | undefined,
  exporterDirectory: string,
  service: string | undefined,
): PersistSettings | undefined {
  if (option === undefined || option === false) return undefined;
  const given: PersistOptions = option === true ? {} : option;
  const intervalMs = given.intervalMs ?? DEFAULT_PERSIST_INTERVAL_MS;
  if (!Number.isInteger(intervalMs) || intervalMs < 1 || intervalMs > MAX_TIMER_MS) {
    throw new RangeError(`ttlog: persist.intervalMs must be an integer number of milliseconds from 1 to ${MAX_TIMER_MS}, got ${String(intervalMs)}`);
  }
  return { directory: given.directory ?? exporterDirectory, intervalMs, service };
}
