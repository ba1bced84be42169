/**
 * Slot record bytes (slot-record.ts) → the CBOR of a file record of format v1 (docs/format.md,
 * "Records"), as a coded chunk (v1.2) holds it. Runs on the snapshot side only.
 */
import { endianness } from 'node:os';
import { MAP_TAG, STRING_REF_TAG } from '../format/file-tags.ts';
import { packedLength, packedTextTag, packText } from '../format/packed-text.ts';
import { Fixed, RecordFlag, ValueTag } from '../record/slot-record.ts';
import { CborWriter } from './cbor-writer.ts';
import type { ChunkStrings } from './chunk-strings.ts';

/** Items of a file record (docs/format.md, "Records"). */
const RECORD_ITEMS = 13;
/** CBOR simple values and the empty text string, as their one-byte items. */
const FALSE = 0xf4;
const TRUE = 0xf5;
const NULL = 0xf6;
const UNDEFINED = 0xf7;
const EMPTY_TEXT = 0x60;
/** What {@link RecordDecoder.readTextRef} returns for text stored in place, and for none. */
const INLINE_TEXT = -1;
const NO_TEXT = -2;

/** Bits of a file record's flags item (docs/format.md, "Records"). */
const FileRecordFlag = {
  Truncated: 1,
  /** Kept in the ring's reserve lane for warnings and errors; `seq` counts within that lane. */
  ReserveLane: 2,
} as const;

const NS_PER_SECOND = 1e9;
/** Beyond this many seconds apart a nanosecond difference no longer fits a double exactly. */
const EXACT_SECONDS = 9_000_000;

/** A record's time: whole seconds since the epoch and nanoseconds within the second. */
export interface RecordTime {
  seconds: number;
  nanos: number;
}

/** The fixed part of a slot record is in the platform's byte order (slot-record.ts). */
const NATIVE_LE = endianness() === 'LE';

function readFloat64(bytes: Buffer, at: number): number {
  return NATIVE_LE ? bytes.readDoubleLE(at) : bytes.readDoubleBE(at);
}

function readUint32(bytes: Buffer, at: number): number {
  return NATIVE_LE ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at);
}

/** The record's emission order (ring-producer.ts): compare two with `(a - b) | 0`, it wraps. */
export function readRecordOrder(bytes: Buffer, start: number): number {
  return readUint32(bytes, start + Fixed.Order) | 0;
}

/** The record's timestamp from its fixed part, into `into` (reused, so reading one allocates nothing). */
export function readRecordTime(bytes: Buffer, start: number, into: RecordTime): RecordTime {
  into.seconds = wholeSeconds(readFloat64(bytes, start + Fixed.TimeSeconds));
  into.nanos = readUint32(bytes, start + Fixed.TimeNanos);
  return into;
}

/** Nanoseconds from `from` to `to`: a number when exact, else a bigint. */
function nanosBetween(from: RecordTime, to: RecordTime): number | bigint {
  const seconds = to.seconds - from.seconds;
  const nanos = to.nanos - from.nanos;
  if (Math.abs(seconds) < EXACT_SECONDS) return seconds * NS_PER_SECOND + nanos;
  return BigInt(seconds) * 1_000_000_000n + BigInt(nanos);
}

/**
 * Where a slot record's 16-byte trace id starts, or -1 when it has none: lets a caller pick the
 * records of one trace from a capture without decoding them.
 */
export function slotTraceIdAt(bytes: Buffer, start: number): number {
  if ((bytes[start + Fixed.Flags]! & RecordFlag.Trace) === 0) return -1;
  // The droppedAttributesCount varint comes first (decode() reads the same order).
  let at = start + Fixed.Size;
  for (let length = 1; bytes[at++]! & 0x80 && length < 5; length++);
  return at;
}

/**
 * Writes the slot records of one snapshot as file records in CBOR, one after another, resolving
 * their intern ids through the snapshot's {@link ChunkStrings}. Straight from slot bytes to CBOR
 * bytes: a snapshot's records are never JS values on the way (cbor-writer.ts says why).
 */
export class RecordDecoder {
  private bytes: Buffer = Buffer.alloc(0);
  private pos = 0;
  private out: CborWriter = new CborWriter(0);
  private readonly time: RecordTime = { seconds: 0, nanos: 0 };
  private readonly observed: RecordTime = { seconds: 0, nanos: 0 };

  constructor(private readonly strings: ChunkStrings) {}

  /**
   * Writes one slot record to `out` as a file record. `previous` is the time the file record's
   * delta counts from; it is updated to this record's time. Throws (leaving `out` and `previous`
   * as they were) when the slot record does not decode.
   */
  decode(bytes: Buffer, start: number, length: number, ticket: number, lane: number, previous: RecordTime, out: CborWriter): void {
    this.bytes = bytes;
    this.out = out;
    const written = out.length;
    try {
      this.write(bytes, start, length, ticket, lane, previous);
    } catch (error) {
      out.length = written;
      throw error;
    }
  }

  private write(bytes: Buffer, start: number, length: number, ticket: number, lane: number, previous: RecordTime): void {
    const out = this.out;
    const flags = bytes[start + Fixed.Flags]!;
    readRecordTime(bytes, start, this.time);
    this.observed.seconds = wholeSeconds(readFloat64(bytes, start + Fixed.ObservedSeconds));
    this.observed.nanos = readUint32(bytes, start + Fixed.ObservedNanos);
    this.pos = start + Fixed.Size;

    out.array(RECORD_ITEMS);
    out.number(ticket);
    writeNanos(out, nanosBetween(previous, this.time));
    writeNanos(out, nanosBetween(this.time, this.observed));
    out.head(0, bytes[start + Fixed.Severity]!);
    const dropped = this.readVarint();
    const traceAt = this.pos;
    if (flags & RecordFlag.Trace) this.pos += 25;
    // The slot holds the scope before the severity text, the file record after it.
    const scope = this.readScope();
    if (flags & RecordFlag.SeverityText) this.writeText(false);
    else out.byte(NULL);
    if (scope < 0) out.byte(NULL);
    else out.head(0, scope);
    // The event name comes before the body in the slot and after the attributes in the file: its
    // string is entered in the chunk's table now, in the order a reader of the slot meets it.
    const eventNameAt = this.pos;
    const eventName = flags & RecordFlag.EventName ? this.readTextRef() : NO_TEXT;
    if (flags & RecordFlag.Body) this.writeValue();
    else out.byte(UNDEFINED);
    this.writeEntries();
    const end = this.pos;
    if (end > start + length) throw new RangeError('ttlog: slot record overruns its length');
    if (eventName >= 0) {
      out.tag(STRING_REF_TAG);
      out.head(0, eventName);
    } else if (eventName === INLINE_TEXT) {
      this.pos = eventNameAt;
      this.writeText(false);
      this.pos = end;
    } else out.byte(NULL);
    if (flags & RecordFlag.Trace) {
      out.array(3);
      out.byteString(bytes, traceAt, traceAt + 16);
      out.byteString(bytes, traceAt + 16, traceAt + 24);
      out.head(0, bytes[traceAt + 24]!);
    } else out.byte(NULL);
    out.number(dropped);
    out.head(0, NATIVE_LE ? bytes.readUInt16LE(start + Fixed.Producer) : bytes.readUInt16BE(start + Fixed.Producer));
    out.head(0, (flags & RecordFlag.Truncated ? FileRecordFlag.Truncated : 0) | (lane === 1 ? FileRecordFlag.ReserveLane : 0));
    previous.seconds = this.time.seconds;
    previous.nanos = this.time.nanos;
  }

  /** The record's chunk-local scope index, or -1 for none. */
  private readScope(): number {
    const header = this.readVarint();
    if (header & 1) return this.strings.scope(header >>> 1);
    const length = header >>> 1;
    if (length === 0) return -1;
    const encoded = Uint8Array.from(this.bytes.subarray(this.pos, this.pos + length));
    this.pos += length;
    return this.strings.inlineScope(encoded);
  }

  /**
   * Text as the file stores it: inline, a chunk string reference, or null if unresolvable. A
   * value's inline text that spells bytes (an id) is packed into them (packed-text.ts).
   */
  private writeText(packs: boolean): void {
    const out = this.out;
    const header = this.readVarint();
    if (header & 1) {
      const local = this.strings.text(header >>> 1);
      if (local < 0) out.byte(NULL);
      else {
        out.tag(STRING_REF_TAG);
        out.head(0, local);
      }
      return;
    }
    const length = header >>> 1;
    const start = this.pos;
    this.pos += length;
    const tag = packs ? packedTextTag(this.bytes, start, length) : 0;
    if (tag === 0) out.utf8(this.bytes, start, start + length);
    else {
      out.tag(tag);
      // The room first: making it may move out.bytes.
      const at = out.byteStringRoom(packedLength(tag, length));
      packText(this.bytes, start, length, out.bytes, at);
    }
  }

  /** Passes a text: its chunk string index, {@link INLINE_TEXT} for text in place, or {@link NO_TEXT} when it does not resolve. */
  private readTextRef(): number {
    const header = this.readVarint();
    if (header & 1) {
      const local = this.strings.text(header >>> 1);
      return local < 0 ? NO_TEXT : local;
    }
    this.pos += header >>> 1;
    return INLINE_TEXT;
  }

  /** A key: inline text or the chunk string index itself (docs/format.md, "Attributes"). */
  private writeKey(): void {
    const header = this.readVarint();
    if (header & 1) {
      const local = this.strings.text(header >>> 1);
      if (local < 0) this.out.byte(EMPTY_TEXT);
      else this.out.head(0, local);
      return;
    }
    const start = this.pos;
    this.pos += header >>> 1;
    this.out.utf8(this.bytes, start, this.pos);
  }

  private writeEntries(): void {
    const count = this.readVarint();
    this.out.array(count * 2);
    for (let i = 0; i < count; i++) {
      this.writeKey();
      this.writeValue();
    }
  }

  private writeValue(): void {
    const bytes = this.bytes;
    const out = this.out;
    const tag = bytes[this.pos++];
    switch (tag) {
      case ValueTag.Null:
        out.byte(NULL);
        return;
      case ValueTag.False:
        out.byte(FALSE);
        return;
      case ValueTag.True:
        out.byte(TRUE);
        return;
      case ValueTag.Int: {
        const zigzag = this.readVarint();
        out.number((zigzag >>> 1) ^ -(zigzag & 1));
        return;
      }
      case ValueTag.Float: {
        const value = bytes.readDoubleLE(this.pos);
        this.pos += 8;
        out.number(value);
        return;
      }
      case ValueTag.Text:
        this.writeText(true);
        return;
      case ValueTag.Bytes: {
        const length = this.readVarint();
        out.byteString(bytes, this.pos, this.pos + length);
        this.pos += length;
        return;
      }
      case ValueTag.Array: {
        const count = this.readVarint();
        out.array(count);
        for (let i = 0; i < count; i++) this.writeValue();
        return;
      }
      case ValueTag.Map:
        out.tag(MAP_TAG);
        this.writeEntries();
        return;
      case ValueTag.BigInt64: {
        const value = bytes.readBigInt64LE(this.pos);
        this.pos += 8;
        out.bigint(value);
        return;
      }
      case ValueTag.BigIntText: {
        const length = this.readVarint() >>> 1;
        const start = this.pos;
        this.pos += length;
        const digits = bytes.toString('utf8', start, start + length);
        // The encoder keeps a bigint's digits within the file's bignum limit; when trimming cut
        // them, the text of the leading digits and "…" is written instead (the record is flagged truncated).
        if (/^-?\d+$/.test(digits)) out.bigint(BigInt(digits));
        else out.utf8(bytes, start, start + length);
        return;
      }
      default:
        // Undefined and Omitted both decode as CBOR undefined.
        out.byte(UNDEFINED);
        return;
    }
  }

  private readVarint(): number {
    const bytes = this.bytes;
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = bytes[this.pos++]!;
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80 && shift < 35);
    return value;
  }
}

/** A nanosecond difference: a number when exact, else a bigint. */
function writeNanos(out: CborWriter, nanos: number | bigint): void {
  if (typeof nanos === 'number') out.number(nanos);
  else out.bigint(nanos);
}

function wholeSeconds(seconds: number): number {
  return Number.isFinite(seconds) ? Math.floor(seconds) : 0;
}
