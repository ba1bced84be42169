/**
 * The hot path: one OpenTelemetry log record → bytes in a ring slot, written in place.
 *
 * This file is longer than most on purpose: the encode loop is one class so V8 keeps its fields
 * monomorphic. Nothing here allocates for an ordinary record — ASCII strings are copied by a JS
 * loop (faster than a native call below ~64 chars), ids come from the interner's Map, numbers go
 * through one DataView. The slot layout is internal (docs/architecture.md, "Slot records");
 * record-decoder.ts is its twin.
 *
 * A record that does not fit the slot is encoded again in trim mode: each string may take at
 * most half the room left and ends in "…", containers stop when room runs out, and the record is
 * flagged truncated. Values nested deeper than MAX_DEPTH (cycles included) are cut the same way.
 */
import type { InstrumentationScopeLike, LogRecordLike } from '../otel-types.ts';
import type { Interner } from './intern-table.ts';
import type { RingViews } from './ring-layout.ts';

export const RecordFlag = {
  Truncated: 1,
  SeverityText: 2,
  EventName: 4,
  Body: 8,
  Trace: 16,
} as const;

export const ValueTag = {
  Undefined: 0,
  Null: 1,
  False: 2,
  True: 3,
  /** int32, zigzag varint */
  Int: 4,
  Float: 5,
  Text: 6,
  Bytes: 7,
  Array: 8,
  Map: 9,
  /** bigint within int64, 8 bytes */
  BigInt64: 10,
  /** bigint beyond int64, decimal text */
  BigIntText: 11,
  /** a value cut away by trimming, too deep, or of a type AnyValue has no place for */
  Omitted: 12,
} as const;

/**
 * Byte offsets of the fixed part of a slot record. Slots start 8-byte aligned, so each field is
 * naturally aligned and written through a typed array in the platform's byte order (the ring is
 * never shared across machines; the decoder reads it in the same order).
 */
export const Fixed = {
  Flags: 0,
  Severity: 1,
  Producer: 2,
  TimeNanos: 4,
  TimeSeconds: 8,
  ObservedSeconds: 16,
  ObservedNanos: 24,
  Size: 28,
} as const;

export const MAX_DEPTH = 8;
/** Containers write their count as a 3-byte varint so it can be patched after the loop. */
const COUNT_BYTES = 3;
const MAX_COUNT = (1 << 21) - 1;
/** Room kept free in trim mode for the bytes that close a record. */
const TRIM_RESERVE = 8;
const ELLIPSIS = [0xe2, 0x80, 0xa6];
const ASCII_FAST_PATH = 64;

/** Thrown (never allocated per record) when a record overflows its slot in normal mode. */
const OVERFLOW = { overflow: true };

const hasOwnProperty = Object.prototype.hasOwnProperty;

const HEX_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUES['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_VALUES['0123456789ABCDEF'.charCodeAt(i)] = i;
}

export class RecordEncoder {
  private pos = 0;
  private limit = 0;
  private trimming = false;
  private truncated = false;

  private readonly bytes: Buffer;
  private readonly data: DataView;
  private readonly float64: Float64Array;
  private readonly uint32: Uint32Array;
  private readonly uint16: Uint16Array;

  constructor(
    ring: RingViews,
    private readonly interner: Interner,
    private readonly producerId: number,
    private readonly encodeScope: (scope: InstrumentationScopeLike) => Uint8Array,
  ) {
    this.bytes = ring.bytes;
    this.data = ring.data;
    this.float64 = ring.float64;
    this.uint32 = ring.uint32;
    this.uint16 = ring.uint16;
  }

  /**
   * Encodes `record` into bytes [start, start + capacity). Returns the length written and whether
   * the record had to be trimmed to fit.
   */
  encode(record: LogRecordLike, start: number, capacity: number): number {
    this.limit = start + capacity;
    this.trimming = false;
    this.truncated = false;
    try {
      return this.encodeRecord(record, start);
    } catch (error) {
      if (error !== OVERFLOW) throw error;
    }
    this.trimming = true;
    this.truncated = true;
    return this.encodeRecord(record, start);
  }

  /** Whether the last {@link encode} trimmed the record. */
  get wasTruncated(): boolean {
    return this.truncated;
  }

  private encodeRecord(record: LogRecordLike, start: number): number {
    const bytes = this.bytes;
    let flags = 0;
    bytes[start + Fixed.Severity] = clampByte(record.severityNumber);
    this.uint16[(start + Fixed.Producer) >> 1] = this.producerId;
    const time = record.hrTime;
    const observed = record.hrTimeObserved;
    this.uint32[(start + Fixed.TimeNanos) >> 2] = time[1];
    this.uint32[(start + Fixed.ObservedNanos) >> 2] = observed[1];
    this.float64[(start + Fixed.TimeSeconds) >> 3] = time[0];
    this.float64[(start + Fixed.ObservedSeconds) >> 3] = observed[0];
    this.pos = start + Fixed.Size;

    this.writeVarint(record.droppedAttributesCount >>> 0);
    const span = record.spanContext;
    if (span !== undefined && this.writeTrace(span.traceId, span.spanId, span.traceFlags)) flags |= RecordFlag.Trace;

    this.writeScope(record.instrumentationScope);
    const severityText = record.severityText;
    if (typeof severityText === 'string') {
      flags |= RecordFlag.SeverityText;
      this.writeText(severityText, this.interner.key(severityText));
    }
    const eventName = record.eventName;
    if (typeof eventName === 'string') {
      flags |= RecordFlag.EventName;
      this.writeText(eventName, this.interner.key(eventName));
    }
    const body = record.body;
    if (body !== undefined) {
      flags |= RecordFlag.Body;
      this.writeValue(body, 0);
    }
    this.writeEntries(record.attributes, 0);

    if (this.truncated) flags |= RecordFlag.Truncated;
    bytes[start + Fixed.Flags] = flags;
    return this.pos - start;
  }

  private writeTrace(traceId: string, spanId: string, traceFlags: number): boolean {
    if (traceId.length !== 32 || spanId.length !== 16) return false;
    this.room(25);
    const at = this.pos;
    if (!this.writeHex(traceId, at, 16) || !this.writeHex(spanId, at + 16, 8)) return false;
    this.bytes[at + 24] = traceFlags & 0xff;
    this.pos = at + 25;
    return true;
  }

  private writeHex(hex: string, at: number, byteCount: number): boolean {
    const bytes = this.bytes;
    for (let i = 0; i < byteCount; i++) {
      const high = hexValue(hex.charCodeAt(2 * i));
      const low = hexValue(hex.charCodeAt(2 * i + 1));
      if ((high | low) < 0) return false;
      bytes[at + i] = (high << 4) | low;
    }
    return true;
  }

  private writeScope(scope: InstrumentationScopeLike): void {
    const known = this.interner.knownScope(scope);
    if (known !== undefined) {
      this.writeVarint(known * 2 + 1);
      return;
    }
    const encoded = this.encodeScope(scope);
    const id = this.interner.addScope(scope, encoded);
    if (id >= 0) {
      this.writeVarint(id * 2 + 1);
      return;
    }
    // The intern table is full: carry the scope inline, or nothing if even that does not fit.
    if (this.trimming && this.pos + 4 + encoded.length > this.limit - TRIM_RESERVE) {
      this.writeVarint(0);
      this.truncated = true;
      return;
    }
    this.writeVarint(encoded.length * 2);
    this.room(encoded.length);
    this.bytes.set(encoded, this.pos);
    this.pos += encoded.length;
  }

  private writeEntries(entries: object, depth: number): void {
    const countAt = this.reserveCount();
    let count = 0;
    for (const key in entries) {
      // for…in also walks inherited keys; a "__proto__" attribute can give the SDK's attributes
      // object a prototype, whose keys are not attributes. V8 reduces this check to the enum cache.
      if (!hasOwnProperty.call(entries, key)) continue;
      if (this.trimming && (this.pos + TRIM_RESERVE * 2 > this.limit || count === MAX_COUNT)) {
        this.truncated = true;
        break;
      }
      this.writeText(key, this.interner.key(key));
      this.writeValue((entries as Record<string, unknown>)[key], depth + 1);
      count++;
    }
    this.patchCount(countAt, count);
  }

  private writeValue(value: unknown, depth: number): void {
    switch (typeof value) {
      case 'string':
        this.writeTag(ValueTag.Text);
        this.writeText(value, this.interner.value(value));
        return;
      case 'number':
        if ((value | 0) === value) {
          this.writeTag(ValueTag.Int);
          this.writeVarint(((value << 1) ^ (value >> 31)) >>> 0);
        } else {
          this.writeTag(ValueTag.Float);
          this.room(8);
          this.data.setFloat64(this.pos, value, true);
          this.pos += 8;
        }
        return;
      case 'boolean':
        this.writeTag(value ? ValueTag.True : ValueTag.False);
        return;
      case 'undefined':
        this.writeTag(ValueTag.Undefined);
        return;
      case 'bigint':
        this.writeBigInt(value);
        return;
      case 'object':
        if (value === null) this.writeTag(ValueTag.Null);
        else if (depth >= MAX_DEPTH) this.omit();
        else if (Array.isArray(value)) this.writeArray(value, depth);
        else if (value instanceof Uint8Array) this.writeBytes(value);
        else {
          this.writeTag(ValueTag.Map);
          this.writeEntries(value, depth);
        }
        return;
      default:
        this.omit();
    }
  }

  private writeArray(items: readonly unknown[], depth: number): void {
    this.writeTag(ValueTag.Array);
    const countAt = this.reserveCount();
    let count = 0;
    for (; count < items.length; count++) {
      if (this.trimming && (this.pos + TRIM_RESERVE * 2 > this.limit || count === MAX_COUNT)) {
        this.truncated = true;
        break;
      }
      this.writeValue(items[count], depth + 1);
    }
    this.patchCount(countAt, count);
  }

  private writeBytes(value: Uint8Array): void {
    let length = value.length;
    if (this.trimming) {
      const room = this.limit - this.pos - COUNT_BYTES - 1 - TRIM_RESERVE;
      if (length > room) {
        length = Math.max(0, room);
        this.truncated = true;
      }
    }
    this.writeTag(ValueTag.Bytes);
    this.writeVarint(length);
    this.room(length);
    this.bytes.set(length === value.length ? value : value.subarray(0, length), this.pos);
    this.pos += length;
  }

  private writeBigInt(value: bigint): void {
    if (BigInt.asIntN(64, value) === value) {
      this.writeTag(ValueTag.BigInt64);
      this.room(8);
      this.data.setBigInt64(this.pos, value, true);
      this.pos += 8;
      return;
    }
    this.writeTag(ValueTag.BigIntText);
    this.writeText(value.toString(), -1);
  }

  private omit(): void {
    this.writeTag(ValueTag.Omitted);
    this.truncated = true;
  }

  /** A string: an intern id (odd header) or inline UTF-8 (even header = length × 2). */
  private writeText(text: string, id: number): void {
    if (id >= 0) {
      this.writeVarint(id * 2 + 1);
      return;
    }
    const length = text.length;
    const pos = this.pos;
    if (length < ASCII_FAST_PATH && !this.trimming && pos + 1 + length <= this.limit) {
      const bytes = this.bytes;
      let i = 0;
      for (; i < length; i++) {
        const code = text.charCodeAt(i);
        if (code >= 0x80) break;
        bytes[pos + 1 + i] = code;
      }
      if (i === length) {
        bytes[pos] = length * 2;
        this.pos = pos + 1 + length;
        return;
      }
    }
    const byteLength = Buffer.byteLength(text, 'utf8');
    if (this.trimming) {
      const allowed = Math.max(0, Math.floor((this.limit - pos - TRIM_RESERVE) / 2) - COUNT_BYTES);
      if (byteLength > allowed) {
        this.writeCutText(text, allowed);
        return;
      }
    }
    this.writeVarint(byteLength * 2);
    this.room(byteLength);
    this.bytes.write(text, this.pos, byteLength, 'utf8');
    this.pos += byteLength;
  }

  /** Writes the longest whole-character prefix that fits in `allowed` bytes, then "…". */
  private writeCutText(text: string, allowed: number): void {
    const headerAt = this.pos;
    const room = Math.max(0, allowed - ELLIPSIS.length);
    // Buffer#write never writes a partial character, so the cut is always valid UTF-8.
    const written = room > 0 ? this.bytes.write(text, headerAt + COUNT_BYTES, room, 'utf8') : 0;
    let end = headerAt + COUNT_BYTES + written;
    for (const byte of ELLIPSIS) this.bytes[end++] = byte;
    this.writePaddedVarint(headerAt, (end - headerAt - COUNT_BYTES) * 2);
    this.pos = end;
    this.truncated = true;
  }

  private writeTag(tag: number): void {
    this.room(1);
    this.bytes[this.pos++] = tag;
  }

  private writeVarint(value: number): void {
    this.room(5);
    const bytes = this.bytes;
    let pos = this.pos;
    while (value >= 0x80) {
      bytes[pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    bytes[pos++] = value;
    this.pos = pos;
  }

  private reserveCount(): number {
    this.room(COUNT_BYTES);
    const at = this.pos;
    this.pos += COUNT_BYTES;
    return at;
  }

  private patchCount(at: number, count: number): void {
    this.writePaddedVarint(at, count);
  }

  private writePaddedVarint(at: number, value: number): void {
    const bytes = this.bytes;
    bytes[at] = (value & 0x7f) | 0x80;
    bytes[at + 1] = ((value >>> 7) & 0x7f) | 0x80;
    bytes[at + 2] = (value >>> 14) & 0x7f;
  }

  /** Makes sure `count` more bytes fit; in normal mode an overflow restarts in trim mode. */
  private room(count: number): void {
    if (this.pos + count <= this.limit) return;
    if (!this.trimming) throw OVERFLOW;
    // Trim mode budgets every variable-size write against the reserve; reaching here means the
    // slot is too small for even the fixed part, which the processor rules out at start-up.
    throw new RangeError('ttlog: slot too small for a trimmed record');
  }
}

function hexValue(code: number): number {
  return code < 128 ? HEX_VALUES[code]! : -1;
}

function clampByte(value: number | undefined): number {
  return typeof value === 'number' && value >= 0 && value <= 255 ? value | 0 : 0;
}
