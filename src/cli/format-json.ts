/**
 * `--json`: one JSON object per record (NDJSON). Lossless within JSON: nanosecond times and
 * 64-bit integers (bigint) as decimal strings, bytes as base64, non-finite numbers as strings.
 */
import type { AnyValue } from '../otel-types.ts';
import type { ViewRecord } from './sources.ts';

/** One record as a JSON line (no line break). */
export function formatJsonRecord({ record, source }: ViewRecord): string {
  const out: Record<string, unknown> = {
    time: isoNanos(record.timestamp),
    timeUnixNano: String(record.timestamp),
    observedTimeUnixNano: String(record.observedTimestamp),
    severityNumber: record.severityNumber,
    severityText: record.severityText,
    body: record.body === undefined ? undefined : jsonValue(record.body),
    // Most attribute maps are plain already; copying them anyway halved the --json rate (bench/viewer.ts).
    attributes: isPlainJson(record.attributes) ? record.attributes : jsonAttributes(record.attributes),
    eventName: record.eventName,
    scope: {
      name: record.scope.name,
      version: record.scope.version,
      schemaUrl: record.scope.schemaUrl,
      attributes: record.scope.attributes === undefined ? undefined : jsonAttributes(record.scope.attributes),
    },
    traceId: record.traceId,
    spanId: record.spanId,
    traceFlags: record.traceFlags,
    droppedAttributesCount: record.droppedAttributesCount,
    truncated: record.truncated,
    seq: record.seq,
    producer: record.producer,
    source: { file: source.path, service: source.metadata.service, hostname: source.metadata.hostname, pid: source.metadata.pid },
  };
  return JSON.stringify(out);
}

let cachedSecond = -1n;
let cachedBase = '';

/** `2026-01-31T12:00:00.123456789Z`: an ISO time that keeps all nine digits. */
export function isoNanos(timestamp: bigint): string {
  const seconds = timestamp / 1_000_000_000n;
  const nanos = timestamp - seconds * 1_000_000_000n;
  // Records come in time order, so the date part is reused while they stay in one second.
  if (seconds !== cachedSecond) {
    cachedSecond = seconds;
    cachedBase = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  }
  return `${cachedBase}.${String(nanos).padStart(9, '0')}Z`;
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

export function jsonAttributes(attributes: Record<string, AnyValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in attributes) out[key] = jsonValue(attributes[key]);
  return out;
}
