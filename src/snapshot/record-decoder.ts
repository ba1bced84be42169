/**
 * Slot record bytes (slot-record.ts) → the CBOR-ready record array of file format v1
 * (docs/format.md, "Records"), as a coded chunk (v1.2) holds it. Runs on the snapshot side only.
 */
import { endianness } from 'node:os';
import { fileNumber, Tag } from '../format/cbor.ts';
import { MAP_TAG, STRING_REF_TAG } from '../format/file-tags.ts';
import { packedText } from '../format/packed-text.ts';
import { Fixed, RecordFlag, ValueTag } from '../record/slot-record.ts';
import type { ChunkStrings } from './chunk-strings.ts';

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
 * Decodes the slot records of one snapshot into file records, one after another, resolving their
 * intern ids through the snapshot's {@link ChunkStrings}.
 */
export class RecordDecoder {
  private bytes: Buffer = Buffer.alloc(0);
  private pos = 0;
  private readonly time: RecordTime = { seconds: 0, nanos: 0 };
  private readonly observed: RecordTime = { seconds: 0, nanos: 0 };

  constructor(private readonly strings: ChunkStrings) {}

  /**
   * Decodes one slot record. `previous` is the time the file record's delta counts from; it is
   * updated to this record's time.
   */
  decode(bytes: Buffer, start: number, length: number, ticket: number, lane: number, previous: RecordTime): unknown[] {
    this.bytes = bytes;
    const flags = bytes[start + Fixed.Flags]!;
    readRecordTime(bytes, start, this.time);
    this.observed.seconds = wholeSeconds(readFloat64(bytes, start + Fixed.ObservedSeconds));
    this.observed.nanos = readUint32(bytes, start + Fixed.ObservedNanos);
    const timeDelta = nanosBetween(previous, this.time);
    previous.seconds = this.time.seconds;
    previous.nanos = this.time.nanos;
    this.pos = start + Fixed.Size;

    const dropped = this.readVarint();
    let trace: unknown = null;
    if (flags & RecordFlag.Trace) {
      const at = this.pos;
      trace = [copyBytes(bytes, at, at + 16), copyBytes(bytes, at + 16, at + 24), bytes[at + 24]];
      this.pos = at + 25;
    }
    const scope = this.readScope();
    const severityText = flags & RecordFlag.SeverityText ? this.readText() : null;
    const eventName = flags & RecordFlag.EventName ? this.readText() : null;
    const body = flags & RecordFlag.Body ? this.readValue() : undefined;
    const attributes = this.readEntries();
    if (this.pos > start + length) throw new RangeError('ttlog: slot record overruns its length');
    return [
      ticket,
      timeDelta,
      nanosBetween(this.time, this.observed),
      bytes[start + Fixed.Severity],
      severityText,
      scope,
      body,
      attributes,
      eventName,
      trace,
      dropped,
      NATIVE_LE ? bytes.readUInt16LE(start + Fixed.Producer) : bytes.readUInt16BE(start + Fixed.Producer),
      (flags & RecordFlag.Truncated ? FileRecordFlag.Truncated : 0) | (lane === 1 ? FileRecordFlag.ReserveLane : 0),
    ];
  }

  private readScope(): number | null {
    const header = this.readVarint();
    if (header & 1) {
      const local = this.strings.scope(header >>> 1);
      return local < 0 ? null : local;
    }
    const length = header >>> 1;
    if (length === 0) return null;
    const encoded = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return this.strings.inlineScope(Uint8Array.from(encoded));
  }

  /**
   * Text as the file stores it: inline, a chunk string reference, or null if unresolvable. A
   * value's inline text that spells bytes (an id) is packed into them (packed-text.ts).
   */
  private readText(packs = false): string | Tag | null {
    const header = this.readVarint();
    if (header & 1) {
      const local = this.strings.text(header >>> 1);
      return local < 0 ? null : new Tag(local, STRING_REF_TAG);
    }
    const length = header >>> 1;
    const packed = packs ? packedText(this.bytes, this.pos, length) : undefined;
    if (packed === undefined) return this.readInline(length);
    this.pos += length;
    return packed;
  }

  /** A key: inline text or the chunk string index itself (docs/format.md, "Attributes"). */
  private readKey(): string | number {
    const header = this.readVarint();
    if (header & 1) {
      const local = this.strings.text(header >>> 1);
      return local < 0 ? '' : local;
    }
    return this.readInline(header >>> 1);
  }

  private readInline(length: number): string {
    const start = this.pos;
    this.pos += length;
    return this.bytes.toString('utf8', start, start + length);
  }

  private readEntries(): unknown[] {
    const count = this.readVarint();
    const flat = new Array<unknown>(count * 2);
    for (let i = 0; i < count; i++) {
      flat[2 * i] = this.readKey();
      flat[2 * i + 1] = this.readValue();
    }
    return flat;
  }

  private readValue(): unknown {
    const bytes = this.bytes;
    const tag = bytes[this.pos++];
    switch (tag) {
      case ValueTag.Null:
        return null;
      case ValueTag.False:
        return false;
      case ValueTag.True:
        return true;
      case ValueTag.Int: {
        const zigzag = this.readVarint();
        return (zigzag >>> 1) ^ -(zigzag & 1);
      }
      case ValueTag.Float: {
        const value = bytes.readDoubleLE(this.pos);
        this.pos += 8;
        return fileNumber(value);
      }
      case ValueTag.Text:
        return this.readText(true);
      case ValueTag.Bytes: {
        const length = this.readVarint();
        const value = copyBytes(bytes, this.pos, this.pos + length);
        this.pos += length;
        return value;
      }
      case ValueTag.Array: {
        const count = this.readVarint();
        const items = new Array<unknown>(count);
        for (let i = 0; i < count; i++) items[i] = this.readValue();
        return items;
      }
      case ValueTag.Map:
        return new Tag(this.readEntries(), MAP_TAG);
      case ValueTag.BigInt64: {
        const value = bytes.readBigInt64LE(this.pos);
        this.pos += 8;
        return value;
      }
      case ValueTag.BigIntText:
        return parseBigInt(this.readInline(this.readVarint() >>> 1));
      default:
        // Undefined and Omitted both decode as CBOR undefined.
        return undefined;
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

function copyBytes(bytes: Buffer, start: number, end: number): Uint8Array {
  return new Uint8Array(bytes.subarray(start, end));
}

/**
 * A bigint's digits (the encoder keeps them within the file's bignum limit), or, when trimming
 * cut them, the text of the leading digits and "…" (the record is flagged truncated).
 */
function parseBigInt(digits: string): bigint | string {
  return /^-?\d+$/.test(digits) ? BigInt(digits) : digits;
}

function wholeSeconds(seconds: number): number {
  return Number.isFinite(seconds) ? Math.floor(seconds) : 0;
}
