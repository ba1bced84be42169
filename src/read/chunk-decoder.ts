/**
 * A chunk payload (docs/format.md, "Chunk payload") → records. Throws on anything malformed;
 * the reader turns that into a damage report for the chunk.
 *
 * The payload is plain CBOR, but decoding it with cbor-x into arrays, then walking those arrays
 * into records, made CBOR decoding two thirds of the viewer's time (bench/viewer.ts). Here the
 * bytes are read once, straight into records (cbor-cursor.ts): string references resolve as they
 * are met (the string table comes first), maps become objects without an array in between, and
 * trace ids go from bytes to hex.
 *
 * A chunk can also be decoded a slice of records at a time. Then the whole payload is walked
 * first, building nothing, so a chunk still either decodes whole or is reported whole; and each
 * slice's records are garbage once the caller is done with them, where a whole chunk of records
 * outlived the young generation and was copied and promoted: with slices of 256 instead of 4096
 * records, garbage collection went from a quarter of the viewer's text run in bench/viewer.ts to
 * under a tenth (CPU profile).
 */
import { decompress } from 'lz4-wasm-nodejs';
import type { AnyValue } from '../otel-types.ts';
import type { SnapshotRecord, SnapshotScope } from '../types.ts';
import { CborCursor, NULL, UNDEFINED } from './cbor-cursor.ts';
import { MAX_CHUNK_RAW_BYTES } from '../format/file-format.ts';

/** All records of a chunk at once. */
export function decodeChunk(payload: Buffer, rawLength: number, recordCount: number): SnapshotRecord[] {
  return new ChunkRecords(decompressChunk(payload, rawLength), recordCount, recordCount).next();
}

/** A chunk block's payload → the CBOR bytes of the chunk. Throws when it does not decompress to `rawLength` bytes. */
export function decompressChunk(payload: Buffer, rawLength: number): Buffer {
  // lz4-wasm prepends the decompressed size; a wasm trap on bad input must not be reachable, so
  // the size is checked against the block header first.
  if (payload.length < 4 || rawLength > MAX_CHUNK_RAW_BYTES || payload.readUInt32LE(0) !== rawLength) {
    throw new Error('chunk size fields disagree');
  }
  const raw = decompress(payload);
  return Buffer.from(raw.buffer, raw.byteOffset, raw.length);
}

type MutableRecord = { -readonly [K in keyof SnapshotRecord]: SnapshotRecord[K] };
type TraceContext = Required<Pick<SnapshotRecord, 'traceId' | 'spanId' | 'traceFlags'>>;

/** The scope of a record that has none (only trimmed records); shared, as chunk scopes are. */
const NO_SCOPE: SnapshotScope = Object.freeze({ name: '' });
export const RECORD_FIELDS = 13;

/**
 * A chunk's records, which {@link ChunkRecords.next} decodes `sliceRecords` at a time. When that
 * is fewer than the chunk holds, the constructor checks the payload whole, so that `next` cannot
 * fail.
 */
export class ChunkRecords extends CborCursor {
  private left: number;
  private readonly scopes: SnapshotScope[];
  /** Items of the payload array after the records, read once the last record is. */
  private readonly trailingItems: number;
  /** The previous record's timestamp, which the next record's delta counts from. */
  protected time: bigint;

  constructor(
    bytes: Buffer,
    recordCount: number,
    private readonly sliceRecords: number,
  ) {
    super(bytes);
    const length = this.arrayHeader();
    if (length === undefined || length < 5) throw new Error('chunk payload is not [seconds, nanos, strings, scopes, records]');
    const baseSeconds = this.value();
    const baseNanos = this.value();
    if (typeof baseSeconds !== 'number' || typeof baseNanos !== 'number') throw new Error('chunk payload fields have the wrong types');
    const strings = this.value();
    if (!Array.isArray(strings) || !strings.every((item) => typeof item === 'string')) throw new Error('chunk payload fields have the wrong types');
    this.strings = strings as string[];
    const scopes = this.value();
    if (!Array.isArray(scopes)) throw new Error('chunk payload fields have the wrong types');
    this.scopes = scopes.map((scope) => this.toScope(scope));
    const records = this.arrayHeader();
    if (records === undefined) throw new Error('chunk payload fields have the wrong types');
    if (records !== recordCount) throw new Error(`chunk holds ${records} records, its header says ${recordCount}`);
    if (records > this.end - this.pos) throw new Error('chunk payload ends inside its records');
    this.left = records;
    this.trailingItems = length - 5;
    this.time = BigInt(baseSeconds) * 1_000_000_000n + BigInt(baseNanos);
    if (sliceRecords < records) this.check();
  }

  /** Records not decoded yet. */
  get remaining(): number {
    return this.left;
  }

  /** The next slice of records; an empty array once all are read. */
  next(): SnapshotRecord[] {
    const count = Math.min(this.sliceRecords, this.left);
    const out = new Array<SnapshotRecord>(count);
    for (let i = 0; i < count; i++) out[i] = this.nextRecord();
    this.consumed(count);
    return out;
  }

  /** The record at the cursor. */
  protected nextRecord(): SnapshotRecord {
    const fields = this.recordHeader();
    const seq = this.integer();
    const time = this.advanceTime(this.nanos());
    const record = this.record(seq, time);
    for (let extra = RECORD_FIELDS; extra < fields; extra++) this.value();
    return record;
  }

  /** The timestamp of a record `delta` after the previous one. */
  protected advanceTime(delta: number | bigint): bigint {
    // A zero step (records in the same nanosecond) shares the previous bigint.
    if (delta !== 0) this.time += BigInt(delta);
    return this.time;
  }

  /** Counts `count` records as read; after the last one, reads the items that follow the records. */
  protected consumed(count: number): void {
    this.left -= count;
    if (this.left === 0) for (let i = 0; i < this.trailingItems; i++) this.value();
  }

  /** Entry `index` of the chunk's scopes; an empty scope for a record without one. */
  protected scopeAt(index: number): SnapshotScope {
    return this.scopes[index] ?? NO_SCOPE;
  }

  /** Walks the records and the items after them without building them, then returns to the first record. */
  private check(): void {
    const start = this.pos;
    for (let i = 0; i < this.left; i++) {
      const fields = this.recordHeader();
      this.skip();
      this.nanos();
      this.nanos();
      this.skip(fields - 3);
    }
    this.skip(this.trailingItems);
    this.pos = start;
  }

  protected recordHeader(): number {
    const fields = this.arrayHeader();
    if (fields === undefined || fields < RECORD_FIELDS) throw new Error('a record is malformed');
    return fields;
  }

  /**
   * Fields 2–12 of a record. The fields every record has are read first and go into one object
   * literal; the optional ones are added only when present (no spreads: this runs once per record
   * read). Adding every field one by one to `{}` grew the object's property store several times
   * per record (bench/viewer.ts).
   */
  private record(seq: number, timestamp: bigint): SnapshotRecord {
    const observedDelta = this.nanos();
    const severityNumber = this.integer();
    const severityText = this.optionalText();
    const scopeIndex = this.integer();
    let body: unknown;
    if (this.bytes[this.pos] === UNDEFINED) this.pos++;
    else body = this.value();
    const attributes = this.entriesItem() ?? {};
    const eventName = this.optionalText();
    const trace = this.bytes[this.pos] === NULL ? this.skipNull() : this.trace();
    const droppedAttributesCount = this.integer();
    const producer = this.integer();
    const flags = this.integer();
    const out: MutableRecord = {
      seq,
      timestamp,
      observedTimestamp: observedDelta === 0 ? timestamp : timestamp + BigInt(observedDelta),
      severityNumber,
      attributes,
      scope: this.scopeAt(scopeIndex),
      droppedAttributesCount,
      producer,
      truncated: (flags & 1) === 1,
    };
    if (severityText !== undefined) out.severityText = severityText;
    if (body !== undefined) out.body = body as AnyValue;
    if (eventName !== undefined) out.eventName = eventName;
    if (trace !== undefined) {
      out.traceId = trace.traceId;
      out.spanId = trace.spanId;
      out.traceFlags = trace.traceFlags;
    }
    if (flags & 2) out.lane = 1;
    return out;
  }

  /** Field 9: [traceId, spanId, flags] with the ids as bytes, or anything else for none. */
  private trace(): TraceContext | undefined {
    const start = this.pos;
    const length = this.arrayHeader();
    if (length === undefined || length < 3) {
      this.pos = start;
      this.value();
      return undefined;
    }
    // Counted as a level like every other array, so that check() and this agree on the depth limit.
    this.enter();
    const traceId = this.hexBytes();
    const spanId = this.hexBytes();
    const flags = this.integer();
    for (let extra = 3; extra < length; extra++) this.value();
    this.leave();
    return traceId !== undefined && spanId !== undefined ? { traceId, spanId, traceFlags: flags } : undefined;
  }

  private skipNull(): undefined {
    this.pos++;
    return undefined;
  }

  private toScope(scope: unknown): SnapshotScope {
    if (!Array.isArray(scope)) return { name: '' };
    const [name, version, schemaUrl, attributes] = scope as unknown[];
    return {
      name: typeof name === 'string' ? name : '',
      ...(typeof version === 'string' ? { version } : {}),
      ...(typeof schemaUrl === 'string' ? { schemaUrl } : {}),
      ...(Array.isArray(attributes) ? { attributes: this.entries(attributes) } : {}),
    };
  }
}
