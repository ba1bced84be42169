/**
 * A chunk payload (docs/format.md, "Chunk payload") → records. Throws on anything malformed;
 * the reader turns that into a damage report for the chunk.
 */
import type { Decoder } from 'cbor-x';
import { decompress } from 'lz4-wasm-nodejs';
import type { SnapshotRecord, SnapshotScope } from '../types.ts';
import { MAX_CHUNK_RAW_BYTES } from './file-format.ts';
import { fromFileEntries, fromFileText, fromFileValue } from './file-values.ts';

export function decodeChunk(payload: Buffer, rawLength: number, recordCount: number, cbor: Decoder): SnapshotRecord[] {
  // lz4-wasm prepends the decompressed size; a wasm trap on bad input must not be reachable, so
  // the size is checked against the block header first.
  if (payload.length < 4 || rawLength > MAX_CHUNK_RAW_BYTES || payload.readUInt32LE(0) !== rawLength) {
    throw new Error('chunk size fields disagree');
  }
  const raw = decompress(payload);
  const decoded: unknown = cbor.decode(raw);
  if (!Array.isArray(decoded) || decoded.length < 5) throw new Error('chunk payload is not [seconds, nanos, strings, scopes, records]');
  const [baseSeconds, baseNanos, strings, scopes, records] = decoded as unknown[];
  if (typeof baseSeconds !== 'number' || typeof baseNanos !== 'number' || !isStringArray(strings) || !Array.isArray(scopes) || !Array.isArray(records)) {
    throw new Error('chunk payload fields have the wrong types');
  }
  if (records.length !== recordCount) throw new Error(`chunk holds ${records.length} records, its header says ${recordCount}`);
  const scopeList = scopes.map((scope) => toScope(scope, strings));
  let time = BigInt(baseSeconds) * 1_000_000_000n + BigInt(baseNanos);
  const out = new Array<SnapshotRecord>(records.length);
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as unknown[];
    if (!Array.isArray(record) || record.length < 13) throw new Error(`record ${i} is malformed`);
    time += BigInt(record[1] as number | bigint);
    out[i] = toRecord(record, time, strings, scopeList);
  }
  return out;
}

type MutableRecord = { -readonly [K in keyof SnapshotRecord]: SnapshotRecord[K] };

/** Optional fields are added only when present (no spreads: this runs once per record read). */
function toRecord(record: unknown[], timestamp: bigint, strings: string[], scopes: SnapshotScope[]): SnapshotRecord {
  const observedDelta = record[2] as number | bigint;
  const out = {
    seq: Number(record[0]),
    timestamp,
    observedTimestamp: observedDelta === 0 ? timestamp : timestamp + BigInt(observedDelta),
    severityNumber: Number(record[3]),
  } as MutableRecord;
  const text = fromFileText(record[4], strings);
  if (text !== undefined) out.severityText = text;
  if (record[6] !== undefined) out.body = fromFileValue(record[6], strings);
  const attributes = record[7];
  out.attributes = Array.isArray(attributes) ? fromFileEntries(attributes, strings) : {};
  const event = fromFileText(record[8], strings);
  if (event !== undefined) out.eventName = event;
  const scopeIndex = record[5];
  out.scope = (typeof scopeIndex === 'number' ? scopes[scopeIndex] : undefined) ?? { name: '' };
  const trace = record[9];
  if (Array.isArray(trace) && trace[0] instanceof Uint8Array && trace[1] instanceof Uint8Array) {
    out.traceId = hex(trace[0]);
    out.spanId = hex(trace[1]);
    out.traceFlags = Number(trace[2]);
  }
  out.droppedAttributesCount = Number(record[10]);
  out.producer = Number(record[11]);
  out.truncated = (Number(record[12]) & 1) === 1;
  return out;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

function toScope(scope: unknown, strings: string[]): SnapshotScope {
  if (!Array.isArray(scope)) return { name: '' };
  const [name, version, schemaUrl, attributes] = scope as unknown[];
  return {
    name: typeof name === 'string' ? name : '',
    ...(typeof version === 'string' ? { version } : {}),
    ...(typeof schemaUrl === 'string' ? { schemaUrl } : {}),
    ...(Array.isArray(attributes) ? { attributes: fromFileEntries(attributes, strings) } : {}),
  };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
