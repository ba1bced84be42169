/**
 * The hot path: one OpenTelemetry log record → bytes in a ring slot, written in place.
 *
 * This file is longer than most on purpose: the encode loop is one class so V8 keeps its fields
 * monomorphic. Nothing here allocates for an ordinary record — short ASCII strings are copied by
 * a JS loop (faster than a native call for short strings), others by one `Buffer#write`; ids come
 * from the interner's caches; numbers go through one DataView. Each speed trick names the
 * measurement behind it (bench/emit-micro.ts, `npm run bench:profile -- emit`). The slot layout is
 * internal (docs/architecture.md, "Slot records"): slot-record.ts holds its constants and the byte
 * writers this file shares with typed events; record-decoder.ts is its twin.
 *
 * A record that does not fit the slot is encoded again in trim mode: each string may take at
 * most half the room left and ends in "…", containers stop when room runs out, and the record is
 * flagged truncated. Values nested deeper than MAX_DEPTH (cycles included) are cut the same way.
 */
import { cutBigIntText, fitsBignumLimit } from '../format/bigint-limit.ts';
import type { InstrumentationScopeLike, LogRecordLike } from '../otel-types.ts';
import { type Interner, KEY_POSITIONS } from './intern-table.ts';
import type { RingViews } from './ring-layout.ts';
import {
  ASCII_LOOP_LENGTH,
  Fixed,
  INT_BYTES,
  isSlotInt,
  NUMBER_BYTES,
  putAscii,
  putHex,
  putNumber,
  putPaddedVarint,
  putUtf8Text,
  putVarint,
  RecordFlag,
  utf8HeaderBytes,
  ValueTag,
} from './slot-record.ts';

const MAX_DEPTH = 8;
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
/** writeInline's `tag` for a string that is not a value (a key, severity text, event name). */
const NO_TAG = -1;

/** Thrown (never allocated per record) when a record overflows its slot in normal mode. */
const OVERFLOW = { overflow: true };

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Encodes OpenTelemetry log records into ring slots, one producer's: its interner, its producer
 * id and the ring's views, reused for every record.
 */
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
      this.writeKey(severityText, this.interner.key(severityText));
    }
    const eventName = record.eventName;
    if (typeof eventName === 'string') {
      flags |= RecordFlag.EventName;
      this.writeKey(eventName, this.interner.key(eventName));
    }
    const body = record.body;
    if (body !== undefined) {
      flags |= RecordFlag.Body;
      if (typeof body === 'string') this.writeString(body);
      else this.writeValue(body, 0);
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
    if (!putHex(this.bytes, at, traceId, 16) || !putHex(this.bytes, at + 16, spanId, 8)) return false;
    this.bytes[at + 24] = traceFlags & 0xff;
    this.pos = at + 25;
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
      this.writeKey(key, attributes && count < KEY_POSITIONS ? interner.attributeKey(count, key) : interner.key(key));
      // Strings, numbers and booleans here; writeValue (which the recursion keeps out of
      // line) for the rest: the common values skip a call (bench/emit-micro.ts, "attribute loop").
      const value = (entries as Record<string, unknown>)[key];
      if (typeof value === 'string') this.writeString(value);
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
        this.writeString(value);
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
      this.writeInline(value.toString(), ValueTag.BigIntText);
      return;
    }
    // Beyond the file's bignum limit: a short text instead, before any decimal digits are made
    // (their cost grows faster than the value's size), and the record counts as truncated.
    this.writeInline(cutBigIntText(value), ValueTag.Text);
    this.truncated = true;
  }

  private omit(): void {
    this.writeTag(ValueTag.Omitted);
    this.truncated = true;
  }

  /**
   * A key-like string (an attribute key, severity text, event name) and its intern id. The
   * interned case is written here and writeInline, large, is called only for the rest: when one
   * method wrote both cases, its copies at every call site used up V8's inlining budget before
   * the attribute loop's other callees were inlined (bench/emit-micro.ts, "inlining budget").
   */
  private writeKey(text: string, id: number): void {
    if (id >= 0) this.writeVarint(id * 2 + 1);
    else this.writeInline(text, NO_TAG);
  }

  /** A string value: interned (see {@link writeKey} for why this case is apart), or inline. */
  private writeString(text: string): void {
    const id = this.interner.value(text);
    if (id >= 0) this.writeTaggedVarint(ValueTag.Text, id * 2 + 1);
    else this.writeInline(text, ValueTag.Text);
  }

  /**
   * An inline string, after a value tag unless `tag` is NO_TAG: its UTF-8 (even header = length
   * × 2; an intern id, written by writeKey and writeString, has an odd header). One bounds check
   * covers the tag, the header and, for a short ASCII string, its bytes.
   */
  private writeInline(text: string, tag: number): void {
    const bytes = this.bytes;
    const pos = this.pos;
    const length = text.length;
    const body = tag === NO_TAG ? pos + 1 : pos + 2;
    if (length < ASCII_LOOP_LENGTH && !this.trimming && body + length <= this.limit && putAscii(bytes, body, text)) {
      if (tag !== NO_TAG) bytes[pos] = tag;
      bytes[body - 1] = length * 2;
      this.pos = body + length;
      return;
    }
    if (tag !== NO_TAG) this.writeTag(tag);
    this.writeInlineText(text);
  }

  /**
   * Inline UTF-8 of any length: in normal mode through putUtf8Text when its padded header and the
   * longest encoding fit, else measured first. In trim mode a string takes at most half the room
   * left.
   */
  private writeInlineText(text: string): void {
    const pos = this.pos;
    if (!this.trimming && utf8HeaderBytes(text) + 3 * text.length <= this.limit - pos) {
      this.pos = putUtf8Text(this.bytes, pos, text);
      return;
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
    putPaddedVarint(this.bytes, headerAt, COUNT_BYTES, (end - headerAt - COUNT_BYTES) * 2);
    this.pos = end;
    this.truncated = true;
  }

  private writeTag(tag: number): void {
    this.room(1);
    this.bytes[this.pos++] = tag;
  }

  /** An Int or a Float value (putNumber), with one bounds check away from the slot's end. */
  private writeNumber(value: number): void {
    // Near the end of the slot an int needs only its own room, as a float does.
    if (this.pos + NUMBER_BYTES > this.limit) this.room(isSlotInt(value) ? INT_BYTES : NUMBER_BYTES);
    this.pos = putNumber(this.bytes, this.data, this.pos, value);
  }

  /** A value tag and a varint, with one bounds check. */
  private writeTaggedVarint(tag: number, value: number): void {
    if (this.pos + INT_BYTES > this.limit) this.room(INT_BYTES);
    this.bytes[this.pos] = tag;
    this.pos = putVarint(this.bytes, this.pos + 1, value);
  }

  private writeVarint(value: number): void {
    this.room(5);
    this.pos = putVarint(this.bytes, this.pos, value);
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
      putPaddedVarint(this.bytes, at, COUNT_BYTES, count);
      return;
    }
    if (count < 0x80) {
      this.bytes[at] = count;
      return;
    }
    this.room(COUNT_BYTES - 1);
    this.bytes.copyWithin(at + COUNT_BYTES, at + 1, this.pos);
    this.pos += COUNT_BYTES - 1;
    putPaddedVarint(this.bytes, at, COUNT_BYTES, count);
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

function clampByte(value: number | undefined): number {
  return typeof value === 'number' && value >= 0 && value <= 255 ? value | 0 : 0;
}
