/**
 * The hot path: one OpenTelemetry log record → bytes in a ring slot, written in place.
 *
 * This file is longer than most on purpose: the encode loop is one class so V8 keeps its fields
 * monomorphic. Nothing here allocates for an ordinary record — short ASCII strings are copied by
 * a JS loop (faster than a native call below ~32 chars), others by one `Buffer#write`; ids come
 * from the interner's caches; numbers go through one DataView. Each speed trick names the
 * measurement behind it (bench/emit-micro.ts, `npm run bench:profile -- emit`). The slot layout is
 * internal (docs/architecture.md, "Slot records"); record-decoder.ts is its twin.
 *
 * A record that does not fit the slot is encoded again in trim mode: each string may take at
 * most half the room left and ends in "…", containers stop when room runs out, and the record is
 * flagged truncated. Values nested deeper than MAX_DEPTH (cycles included) are cut the same way.
 */
import { cutBigIntText, fitsBignumLimit } from '../format/bigint-limit.ts';
import type { InstrumentationScopeLike, LogRecordLike } from '../otel-types.ts';
import { type Interner, KEY_POSITIONS } from './intern-table.ts';
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
  /** bigint beyond int64 and within the file's bignum limit, decimal text */
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
  /** Written by the producer: emission order across lanes (ring-producer.ts). */
  Order: 28,
  Size: 32,
} as const;

export const MAX_DEPTH = 8;
/**
 * Trim mode writes a container's count as a 3-byte (padded) varint, patched after the loop. The
 * normal mode writes one byte and makes room for the padded form only if the count reaches 128
 * (see patchCount); the decoder reads any padded varint.
 */
const COUNT_BYTES = 3;
const MAX_COUNT = (1 << 21) - 1;
/** Room kept free in trim mode for the bytes that close a record. */
const TRIM_RESERVE = 8;
const ELLIPSIS = [0xe2, 0x80, 0xa6];
/**
 * Inline strings shorter than this are copied by a JS loop when they are ASCII; longer ones and
 * non-ASCII ones by one `Buffer#write`, whose fixed call cost the loop beats only on short
 * strings; the two meet near this length (bench/emit-micro.ts, "ASCII_LOOP_LENGTH").
 */
const ASCII_LOOP_LENGTH = 32;
/** writeText's `tag` for a string that is not a value (a key, severity text, event name). */
const NO_TAG = -1;

/** Thrown (never allocated per record) when a record overflows its slot in normal mode. */
const OVERFLOW = { overflow: true };

const hasOwn = Object.prototype.hasOwnProperty;

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
      this.writeText(severityText, this.interner.key(severityText), NO_TAG);
    }
    const eventName = record.eventName;
    if (typeof eventName === 'string') {
      flags |= RecordFlag.EventName;
      this.writeText(eventName, this.interner.key(eventName), NO_TAG);
    }
    const body = record.body;
    if (body !== undefined) {
      flags |= RecordFlag.Body;
      this.writeValue(body, 0);
    }
    this.writeEntries(record.attributes, 0, true);

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

  /** `attributes`: the record's own attributes, whose keys by position the interner remembers. */
  private writeEntries(entries: object, depth: number, attributes: boolean): void {
    const countAt = this.reserveCount();
    let count = 0;
    for (const key in entries) {
      // for…in also walks inherited keys; a "__proto__" attribute can give the SDK's attributes
      // object a prototype, whose keys are not attributes. V8 reduces this check to the enum cache.
      if (!hasOwn.call(entries, key)) continue;
      if (this.trimming && (this.pos + TRIM_RESERVE * 2 > this.limit || count === MAX_COUNT)) {
        this.truncated = true;
        break;
      }
      const interner = this.interner;
      this.writeText(key, attributes && count < KEY_POSITIONS ? interner.attributeKey(count, key) : interner.key(key), NO_TAG);
      // Strings, numbers and booleans here; writeValue (which the recursion keeps out of
      // line) for the rest: the common values skip a call (bench/emit-micro.ts, "attribute loop").
      const value = (entries as Record<string, unknown>)[key];
      if (typeof value === 'string') this.writeText(value, interner.value(value), ValueTag.Text);
      else if (typeof value === 'number') this.writeNumber(value);
      else if (typeof value === 'boolean') this.writeTag(value ? ValueTag.True : ValueTag.False);
      else this.writeValue(value, depth + 1);
      count++;
    }
    this.patchCount(countAt, count);
  }

  private writeValue(value: unknown, depth: number): void {
    switch (typeof value) {
      case 'string':
        this.writeText(value, this.interner.value(value), ValueTag.Text);
        return;
      case 'number':
        this.writeNumber(value);
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
          this.writeEntries(value, depth, false);
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
    if (fitsBignumLimit(value)) {
      this.writeText(value.toString(), -1, ValueTag.BigIntText);
      return;
    }
    // Beyond the file's bignum limit: a short text instead, before any decimal digits are made
    // (their cost grows faster than the value's size), and the record counts as truncated.
    this.writeText(cutBigIntText(value), -1, ValueTag.Text);
    this.truncated = true;
  }

  private omit(): void {
    this.writeTag(ValueTag.Omitted);
    this.truncated = true;
  }

  /**
   * A string, after a value tag unless `tag` is NO_TAG: an intern id (odd header) or inline UTF-8
   * (even header = length × 2). One bounds check covers the tag, the header and, for a short
   * ASCII string, its bytes.
   */
  private writeText(text: string, id: number, tag: number): void {
    if (id >= 0) {
      if (tag === NO_TAG) this.writeVarint(id * 2 + 1);
      else this.writeTaggedVarint(tag, id * 2 + 1);
      return;
    }
    const bytes = this.bytes;
    const pos = this.pos;
    const length = text.length;
    const body = tag === NO_TAG ? pos + 1 : pos + 2;
    if (length < ASCII_LOOP_LENGTH && !this.trimming && body + length <= this.limit) {
      let i = 0;
      for (; i < length; i++) {
        const code = text.charCodeAt(i);
        if (code >= 0x80) break;
        bytes[body + i] = code;
      }
      if (i === length) {
        if (tag !== NO_TAG) bytes[pos] = tag;
        bytes[body - 1] = length * 2;
        this.pos = body + length;
        return;
      }
    }
    if (tag !== NO_TAG) this.writeTag(tag);
    this.writeInlineText(text);
  }

  /**
   * Inline UTF-8 of any length. In normal mode one `Buffer#write` after a header padded to the
   * size the longest possible encoding needs (3 bytes per UTF-16 unit) — not `Buffer.byteLength`
   * first and then `write`, which walks the string twice (bench/emit-micro.ts, "writeInlineText").
   * In trim mode a string takes at most half the room left.
   */
  private writeInlineText(text: string): void {
    const pos = this.pos;
    if (!this.trimming) {
      const room = this.limit - pos;
      const most = 3 * text.length;
      const headerBytes = most < 0x40 ? 1 : most < 0x2000 ? 2 : COUNT_BYTES;
      if (headerBytes + most <= room) {
        const written = this.bytes.write(text, pos + headerBytes, most, 'utf8');
        this.writeHeader(pos, headerBytes, written * 2);
        this.pos = pos + headerBytes + written;
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

  /**
   * An int32 as a zigzag varint, any other number as a float64. −0 passes the int32 test, so a
   * zero is also checked for its sign, which keeps the test for every other integer one compare.
   */
  private writeNumber(value: number): void {
    if ((value | 0) === value && (value !== 0 || 1 / value > 0)) this.writeTaggedVarint(ValueTag.Int, ((value << 1) ^ (value >> 31)) >>> 0);
    else this.writeFloat(value);
  }

  /** A Float value: its tag and 8 bytes (little-endian; the decoder reads them so), one bounds check. */
  private writeFloat(value: number): void {
    if (this.pos + 9 > this.limit) {
      // Near the end of the slot: the tag and the 8 bytes are checked apart, as room() expects.
      this.writeTag(ValueTag.Float);
      this.room(8);
    } else this.bytes[this.pos++] = ValueTag.Float;
    this.data.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  /** A value tag and a varint, with one bounds check. */
  private writeTaggedVarint(tag: number, value: number): void {
    if (this.pos + 6 > this.limit) this.room(6);
    this.bytes[this.pos] = tag;
    this.pos = this.putVarint(this.pos + 1, value);
  }

  private writeVarint(value: number): void {
    this.room(5);
    this.pos = this.putVarint(this.pos, value);
  }

  /** Writes a minimal varint at `pos` (room already checked); returns the position after it. */
  private putVarint(pos: number, value: number): number {
    const bytes = this.bytes;
    while (value >= 0x80) {
      bytes[pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    bytes[pos++] = value;
    return pos;
  }

  /** Keeps room for a container's count: one byte, or in trim mode the padded three. */
  private reserveCount(): number {
    const size = this.trimming ? COUNT_BYTES : 1;
    this.room(size);
    const at = this.pos;
    this.pos += size;
    return at;
  }

  /**
   * Writes the count into the room reserveCount kept. A count of 128 or more needs the padded
   * three bytes: in normal mode the container's bytes move two bytes up to make room (once per
   * container that big; a slot has at most 1 MiB, so any count fits 21 bits).
   * One count byte instead of always three saves 2 bytes a container in the slot and in every
   * capture's copy; its speed gain is within the noise of the emit bench.
   */
  private patchCount(at: number, count: number): void {
    if (this.trimming) {
      this.writePaddedVarint(at, count);
      return;
    }
    if (count < 0x80) {
      this.bytes[at] = count;
      return;
    }
    this.room(COUNT_BYTES - 1);
    this.bytes.copyWithin(at + COUNT_BYTES, at + 1, this.pos);
    this.pos += COUNT_BYTES - 1;
    this.writePaddedVarint(at, count);
  }

  /** A varint padded to `size` bytes (1 to 3); the decoder reads padded and minimal ones alike. */
  private writeHeader(at: number, size: number, value: number): void {
    if (size === 1) this.bytes[at] = value;
    else if (size === 2) {
      this.bytes[at] = (value & 0x7f) | 0x80;
      this.bytes[at + 1] = value >>> 7;
    } else this.writePaddedVarint(at, value);
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
