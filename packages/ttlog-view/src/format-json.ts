/**
 * `--json`: one JSON object per record (NDJSON). Lossless within JSON: nanosecond times and
 * 64-bit integers (bigint) as decimal strings, bytes as base64, non-finite numbers as strings,
 * every attribute key kept (`__proto__` too). The characters a terminal would act on are `\u`
 * escapes, as JSON allows (values.ts).
 */
import type { AnyValue, SnapshotScope } from 'ttlog';
import type { SnapshotSource, ViewRecord } from './sources.ts';
import { floorSeconds, NANOS_PER_SECOND, secondText, setOwnKey, terminalSafeJson } from './values.ts';

/**
 * One record as a JSON line (no line break): the same text `JSON.stringify` gives for the object
 * with the fields below in this order (undefined ones left out), built by hand around the parts
 * that need it. One `JSON.stringify` of a 20-field object per record made `--json` four times
 * slower than text in bench/viewer.ts; the scope and source parts repeat and are cached. The
 * terminal-active characters JSON.stringify leaves as they are then become `\u` escapes.
 */
export function formatJsonRecord({ record, source }: ViewRecord): string {
  const time = record.timestamp;
  const digits = nanoDigits(time);
  const iso = isoSecond + '.' + digits + 'Z';
  const timeText = unixNanoText(time, digits);
  const observed = record.observedTimestamp;
  const observedText = observed === time ? timeText : unixNanoText(observed, nanoDigits(observed));
  let line =
    '{"time":"' +
    iso +
    '","timeUnixNano":"' +
    timeText +
    '","observedTimeUnixNano":"' +
    observedText +
    '","severityNumber":' +
    numberText(record.severityNumber);
  // Only the parts with text from the file are checked for terminal-active characters, not the whole line.
  if (record.severityText !== undefined) line += ',"severityText":' + terminalSafeJson(JSON.stringify(record.severityText));
  if (record.body !== undefined) line += ',"body":' + terminalSafeJson(JSON.stringify(jsonValue(record.body)));
  // Most attribute maps are plain already; copying them anyway halved the --json rate (bench/viewer.ts).
  line += ',"attributes":' + terminalSafeJson(JSON.stringify(isPlainJson(record.attributes) ? record.attributes : jsonAttributes(record.attributes)));
  if (record.eventName !== undefined) line += ',"eventName":' + terminalSafeJson(JSON.stringify(record.eventName));
  line += ',"scope":' + scopeJson(record.scope);
  if (record.traceId !== undefined) line += ',"traceId":' + JSON.stringify(record.traceId);
  if (record.spanId !== undefined) line += ',"spanId":' + JSON.stringify(record.spanId);
  if (record.traceFlags !== undefined) line += ',"traceFlags":' + numberText(record.traceFlags);
  line += ',"droppedAttributesCount":' + numberText(record.droppedAttributesCount) + ',"truncated":' + (record.truncated ? 'true' : 'false');
  line += ',"seq":' + numberText(record.seq);
  // seq counts within a lane: the reserve lane (warnings and errors) is said, the main lane is not.
  if (record.lane !== undefined) line += ',"lane":' + numberText(record.lane);
  return line + ',"producer":' + numberText(record.producer) + ',"source":' + sourceJson(source) + '}';
}

function numberText(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

let cachedScope: SnapshotScope | undefined;
let cachedScopeJson = '';

/** Records of a chunk share their scope objects, so one entry of cache serves a run of them. */
function scopeJson(scope: SnapshotScope): string {
  if (scope !== cachedScope) {
    cachedScope = scope;
    cachedScopeJson = terminalSafeJson(
      JSON.stringify({
        name: scope.name,
        version: scope.version,
        schemaUrl: scope.schemaUrl,
        attributes: scope.attributes === undefined ? undefined : jsonAttributes(scope.attributes),
      }),
    );
  }
  return cachedScopeJson;
}

const sourceJsonCache = new WeakMap<SnapshotSource, string>();

function sourceJson(source: SnapshotSource): string {
  let text = sourceJsonCache.get(source);
  if (text === undefined) {
    text = terminalSafeJson(
      JSON.stringify({ file: source.path, service: source.metadata.service, hostname: source.metadata.hostname, pid: source.metadata.pid }),
    );
    sourceJsonCache.set(source, text);
  }
  return text;
}

/**
 * Texts of the second the last time fell in, [secondStart, secondEnd) in ns since the epoch.
 * Records come in time order, so a run of them shares these, and a time's texts cost one bigint
 * subtraction instead of a bigint division and a String(bigint) for each of a record's times.
 */
let secondStart = 1n;
let secondEnd = 0n;
/** The second as decimal digits, '' where a time's digits are not those followed by nine more (second 0 and before). */
let secondDigits = '';
/** The second as ISO 8601 UTC without fraction. */
let isoSecond = '';

/** The nanoseconds of `timestamp` within its second, as nine digits; moves the cached second to it. */
function nanoDigits(timestamp: bigint): string {
  if (timestamp < secondStart || timestamp >= secondEnd) {
    // Rounded down, so that a time before 1970 counts its nanoseconds forward as well.
    const seconds = floorSeconds(timestamp);
    secondStart = seconds * NANOS_PER_SECOND;
    secondEnd = secondStart + NANOS_PER_SECOND;
    secondDigits = seconds > 0n ? String(seconds) : '';
    isoSecond = secondText(seconds, true);
  }
  // 1e9 + n has ten digits for any n below 1e9: the last nine are n, zero-padded.
  return String(Number(timestamp - secondStart) + 1e9).slice(1);
}

/** `timestamp` as decimal nanoseconds, given its nine digits from nanoDigits(). */
function unixNanoText(timestamp: bigint, digits: string): string {
  return secondDigits === '' ? String(timestamp) : secondDigits + digits;
}

/** `2026-01-31T12:00:00.123456789Z`: an ISO time that keeps all nine digits. */
export function isoNanos(timestamp: bigint): string {
  const digits = nanoDigits(timestamp);
  return isoSecond + '.' + digits + 'Z';
}

/** True when JSON.stringify would write these attributes without losing anything. */
function isPlainJson(attributes: Record<string, AnyValue>): boolean {
  for (const key in attributes) {
    const value = attributes[key];
    const type = typeof value;
    if (type === 'string' || type === 'boolean') continue;
    if (type === 'number' && Number.isFinite(value)) continue;
    return false;
  }
  return true;
}

/** A value made JSON-safe without losing what it was (see the file comment). */
export function jsonValue(value: AnyValue): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'bigint':
      return String(value);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'string':
    case 'boolean':
      return value;
    default:
      break;
  }
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.length).toString('base64');
  if (Array.isArray(value)) return value.map(jsonValue);
  return jsonAttributes(value);
}

/** Attributes made JSON-safe value by value (jsonValue), own keys only, `__proto__` kept as a key. */
export function jsonAttributes(attributes: Record<string, AnyValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(attributes)) setOwnKey(out, key, jsonValue(attributes[key]));
  return out;
}
