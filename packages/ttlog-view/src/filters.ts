/**
 * The viewer's filters (issue 4, "Filters"): a predicate over records for the per-record ones, and
 * stream stages for `--around` and `--last`, which need to see more than one record.
 */
import type { AnyValue } from 'ttlog';
import { ERROR_SEVERITY, SEVERITY_NAMES } from './severity.ts';
import type { ViewRecord } from './sources.ts';
import { UsageError } from './usage-error.ts';
import { valueText } from './values.ts';

/** A point in time from the command line: absolute, or a duration before the newest snapshot. */
export type TimeSpec = { readonly at: bigint } | { readonly before: bigint };

/** What the filters need from the options (see args.ts). */
export interface FilterOptions {
  readonly minSeverity?: number;
  readonly since?: TimeSpec;
  readonly until?: TimeSpec;
  readonly grep?: RegExp;
  readonly where: ReadonlyArray<readonly [key: string, value: string | undefined]>;
  /** A trace id, or its first digits (lowercase hex). */
  readonly traceId?: string;
  readonly services: readonly string[];
  readonly scopes: readonly string[];
  readonly last?: number;
  readonly around?: 'first-error' | TimeSpec;
  readonly window: bigint;
}

const UNIT_NS: Record<string, bigint> = {
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
};

/** `500ms`, `30s`, `5m`, `2h`, `1d` (or a sum such as `1h30m`) → nanoseconds; undefined if it is not one. */
export function parseDuration(text: string): bigint | undefined {
  if (!/^(\d+(ms|s|m|h|d))+$/.test(text)) return undefined;
  let total = 0n;
  for (const [, count, unit] of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += BigInt(count!) * UNIT_NS[unit!]!;
  return total;
}

/** A duration (before the newest snapshot) or an ISO 8601 time, with up to nanosecond digits. */
export function parseTime(text: string, option: string): TimeSpec {
  const duration = parseDuration(text);
  if (duration !== undefined) return { before: duration };
  // Date.parse keeps milliseconds only; the digits after them are added back as nanoseconds.
  const fraction = /\.(\d+)/.exec(text);
  const digits = (fraction?.[1] ?? '').padEnd(9, '0');
  const millis = Date.parse(fraction === null ? text : text.replace(fraction[0], `.${digits.slice(0, 3)}`));
  if (!/^\d{4}-\d\d-\d\d/.test(text) || Number.isNaN(millis) || digits.length > 9) {
    throw new UsageError(`${option} ${JSON.stringify(text)}: expected an ISO 8601 time (2026-01-31T12:00:00Z) or a duration such as 5m`);
  }
  return { at: BigInt(millis) * 1_000_000n + BigInt(digits.slice(3)) };
}

/** `warn`, `ERROR`, `info3` or a number 1–24 → the lowest severity number it stands for. */
export function parseLevel(text: string): number {
  const match = /^([a-z]+)([1-4])?$/i.exec(text);
  const name = match?.[1]?.toUpperCase();
  const index = SEVERITY_NAMES.indexOf((name === 'WARNING' ? 'WARN' : name === 'ERR' ? 'ERROR' : name) as never);
  if (match !== null && index >= 0) return index * 4 + Number(match[2] ?? 1);
  const number = Number(text);
  if (/^\d+$/.test(text) && number >= 1 && number <= 24) return number;
  throw new UsageError(`--level ${JSON.stringify(text)}: expected trace, debug, info, warn, error, fatal or 1-24`);
}

/** A time from the command line in nanoseconds, durations counted back from `newest`. */
export function resolveTime(spec: TimeSpec, newest: bigint): bigint {
  return 'at' in spec ? spec.at : newest - spec.before;
}

/**
 * The per-record filters as one predicate, or undefined when there are none (so the common
 * unfiltered case costs nothing per record). `newest` anchors relative times.
 */
export function recordPredicate(options: FilterOptions, newest: bigint): ((item: ViewRecord) => boolean) | undefined {
  const checks: Array<(item: ViewRecord) => boolean> = [];
  const { minSeverity, grep, traceId } = options;
  if (minSeverity !== undefined) checks.push(({ record }) => record.severityNumber >= minSeverity);
  let since = options.since === undefined ? undefined : resolveTime(options.since, newest);
  let until = options.until === undefined ? undefined : resolveTime(options.until, newest);
  if (options.around !== undefined && options.around !== 'first-error') {
    // --around TIME is a time range; first-error needs the stream (aroundFirstError).
    const at = resolveTime(options.around, newest);
    since = max(since, at - options.window);
    until = min(until, at + options.window);
  }
  if (since !== undefined) checks.push(({ record }) => record.timestamp >= since);
  if (until !== undefined) checks.push(({ record }) => record.timestamp <= until);
  if (grep !== undefined) checks.push(({ record }) => record.body !== undefined && grep.test(valueText(record.body)));
  for (const [key, value] of options.where) {
    // Own keys only: `in` would find constructor, toString and __proto__ on every record's object.
    checks.push(({ record }) => Object.hasOwn(record.attributes, key) && (value === undefined || attributeEquals(record.attributes[key], value)));
  }
  if (traceId !== undefined) checks.push(({ record }) => record.traceId?.startsWith(traceId) === true);
  if (options.services.length > 0) {
    const patterns = options.services.map(globPattern);
    checks.push(({ source }) => {
      const resourceName = source.metadata.resource['service.name'];
      return patterns.some((pattern) => pattern.test(source.metadata.service) || (typeof resourceName === 'string' && pattern.test(resourceName)));
    });
  }
  if (options.scopes.length > 0) {
    const patterns = options.scopes.map(globPattern);
    checks.push(({ record }) => patterns.some((pattern) => pattern.test(record.scope.name)));
  }
  if (checks.length === 0) return undefined;
  if (checks.length === 1) return checks[0];
  return (item) => checks.every((check) => check(item));
}

/** The whole filter chain over batches of records: predicate, then `--around first-error`, then `--last`. */
export async function* filterTimeline(batches: AsyncIterable<ViewRecord[]>, options: FilterOptions, newest: bigint): AsyncGenerator<ViewRecord[]> {
  const predicate = recordPredicate(options, newest);
  let stream: AsyncIterable<ViewRecord[]> = predicate === undefined ? batches : keep(batches, predicate);
  if (options.around === 'first-error') stream = aroundFirstError(stream, options.window);
  if (options.last !== undefined) {
    const last = await lastRecords(stream, options.last);
    if (last.length > 0) yield last;
    return;
  }
  yield* stream;
}

async function* keep(batches: AsyncIterable<ViewRecord[]>, predicate: (item: ViewRecord) => boolean): AsyncGenerator<ViewRecord[]> {
  for await (const batch of batches) {
    const kept = batch.filter(predicate);
    if (kept.length > 0) yield kept;
  }
}

/**
 * The records within `window` of the first one at ERROR or above: the ones before it are held
 * in a sliding window, so a large timeline is read once and never held whole.
 */
export async function* aroundFirstError(batches: AsyncIterable<ViewRecord[]>, window: bigint): AsyncGenerator<ViewRecord[]> {
  let pending: ViewRecord[] = [];
  let start = 0;
  let end: bigint | undefined;
  for await (const batch of batches) {
    const out: ViewRecord[] = [];
    for (const item of batch) {
      const time = item.record.timestamp;
      if (end !== undefined) {
        if (time > end) {
          if (out.length > 0) yield out;
          return;
        }
        out.push(item);
        continue;
      }
      pending.push(item);
      if (item.record.severityNumber >= ERROR_SEVERITY) {
        end = time + window;
        for (let i = start; i < pending.length; i++) if (pending[i]!.record.timestamp >= time - window) out.push(pending[i]!);
        pending = [];
        continue;
      }
      while (pending[start]!.record.timestamp < time - window) start++;
      // Compacted now and then rather than shifted per record.
      if (start > 4096 && start * 2 > pending.length) {
        pending = pending.slice(start);
        start = 0;
      }
    }
    if (out.length > 0) yield out;
  }
}

/** The last `count` records of the stream, in order. */
export async function lastRecords(batches: AsyncIterable<ViewRecord[]>, count: number): Promise<ViewRecord[]> {
  const ring = new Array<ViewRecord>(count);
  let seen = 0;
  for await (const batch of batches) for (const item of batch) ring[seen++ % count] = item;
  const kept = Math.min(seen, count);
  return Array.from({ length: kept }, (_, i) => ring[(seen - kept + i) % count]!);
}

function attributeEquals(value: AnyValue, expected: string): boolean {
  return valueText(value) === expected;
}

function globPattern(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

function max(a: bigint | undefined, b: bigint): bigint {
  return a === undefined || b > a ? b : a;
}

function min(a: bigint | undefined, b: bigint): bigint {
  return a === undefined || b < a ? b : a;
}
