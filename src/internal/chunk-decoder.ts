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

function toRecord(record: unknown[], timestamp: bigint, strings: string[], scopes: SnapshotScope[]): SnapshotRecord {
  const [seq, , observedDelta, severityNumber, severityText, scopeIndex, body, attributes, eventName, trace, dropped, producer, flags] = record;
  const text = fromFileText(severityText, strings);
  const event = fromFileText(eventName, strings);
  const traceFields = Array.isArray(trace) && trace[0] instanceof Uint8Array && trace[1] instanceof Uint8Array
    ? { traceId: Buffer.from(trace[0]).toString('hex'), spanId: Buffer.from(trace[1]).toString('hex'), traceFlags: Number(trace[2]) }
    : {};
  return {
    seq: Number(seq),
    timestamp,
    observedTimestamp: timestamp + BigInt(observedDelta as number | bigint),
    severityNumber: Number(severityNumber),
    ...(text === undefined ? {} : { severityText: text }),
    ...(body === undefined ? {} : { body: fromFileValue(body, strings) }),
    attributes: Array.isArray(attributes) ? fromFileEntries(attributes, strings) : {},
    ...(event === undefined ? {} : { eventName: event }),
    scope: (typeof scopeIndex === 'number' ? scopes[scopeIndex] : undefined) ?? { name: '' },
    ...traceFields,
    droppedAttributesCount: Number(dropped),
    producer: Number(producer),
    truncated: (Number(flags) & 1) === 1,
  };
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
