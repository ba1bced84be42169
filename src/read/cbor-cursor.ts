/**
 * Reads the CBOR items of a chunk payload (and a file header) as the values they stand for in a
 * snapshot file (docs/format.md, "Values"): string references resolved against the chunk's string
 * table, tagged maps as objects, integers with an 8-byte argument as bigint. Throws on malformed
 * CBOR.
 *
 * Part of the reader's hot loop (see chunk-decoder.ts), so it reads bytes itself rather than
 * through cbor-x, and is longer than our files usually are.
 */

import { MAX_BIGNUM_BYTES } from '../format/file-format.ts';
import { HEX_TEXT_TAG, MAP_TAG, STRING_REF_TAG, UUID_TEXT_TAG } from '../format/file-tags.ts';
import { unpackedText } from '../format/packed-text.ts';
import type { AnyValue } from '../otel-types.ts';
import { SnapshotFormatError } from './errors.ts';

/** Deeper nesting than the writer produces (it stops at 8) is damage, not a reason to overflow the stack. */
const MAX_DEPTH = 64;
const MAJOR_ARRAY = 4;
/** The initial byte of an unsigned integer with a 4-byte argument: the last read as a number. */
const UINT_LAST = 0x1a;
const BREAK = 0xff;
/** The simple value null as its one-byte item. */
export const NULL = 0xf6;
/** The simple value undefined as its one-byte item. */
export const UNDEFINED = 0xf7;
const ENDS_INSIDE_ITEM = 'chunk payload ends inside a CBOR item';
const ENDS_INSIDE_ARRAY = 'chunk payload ends inside a CBOR array';
const TOO_DEEP = 'CBOR nesting too deep';
const BREAK_OUTSIDE = 'CBOR break outside an indefinite-length item';
// The format never tags a tag; refusing it keeps value()'s recursion bounded by the depth limit.
const TAG_ON_TAG = 'CBOR tag on a tag';
const BIGNUM_TOO_LONG = `bignum longer than ${MAX_BIGNUM_BYTES} bytes`;

/**
 * A position in CBOR bytes and the reads from it. Its members are public for the record cursor
 * (record-cursor.ts), which reads a chunk's records through one; the class itself is not part of
 * the package's API. Malformed bytes throw a `SnapshotFormatError` with code `CHUNK_UNREADABLE`.
 */
export class CborCursor {
  /** The offset of the next item to read. */
  pos = 0;
  /** The chunk's string table, which string references resolve against once it has been read. */
  strings: readonly string[] = [];
  /** Arrays and maps the cursor is inside, for the nesting limit. */
  depth = 0;
  /** `bytes.length`, read once: on a Buffer it is a getter. */
  readonly end: number;
  /** skip()'s items left in each array or map it is inside. */
  private readonly skipStack: number[] = [];

  /** `offset`: where `bytes` begin in the file (the chunk block's offset), which errors name. */
  constructor(
    readonly bytes: Buffer,
    private readonly offset = 0,
  ) {
    this.end = bytes.length;
  }

  /** The error for malformed bytes: the chunk they are in cannot be read. */
  malformed(message: string): SnapshotFormatError {
    return new SnapshotFormatError('CHUNK_UNREADABLE', message, this.offset);
  }

  /** Flat [key, value, …] with values already decoded → object, against this chunk's strings. */
  entries(flat: readonly unknown[]): Record<string, AnyValue> {
    return entriesObject(flat, this.strings);
  }

  /** A flat [key, value, …] array read straight into an object; undefined (item skipped) for anything else. */
  entriesItem(): Record<string, AnyValue> | undefined {
    const length = this.arrayHeader();
    if (length === undefined) {
      const item = this.value();
      return Array.isArray(item) ? this.entries(item) : undefined;
    }
    this.enter();
    const out: Record<string, AnyValue> = {};
    for (let i = 0; i + 1 < length; i += 2) setEntry(out, entryKey(this.key(), this.strings), this.value() as AnyValue);
    if (length % 2 === 1) this.value();
    this.leave();
    return out;
  }

  /** An entry's key: a string reference, most often with an index under 24, read in place. */
  key(): unknown {
    const index = this.unsigned();
    return index >= 0 ? index : this.value();
  }

  /**
   * An unsigned integer with an argument of up to 4 bytes at `pos`, consumed; -1, with nothing
   * consumed, for any other item. Most keys, counts and indexes in a chunk are such (most under
   * 24, one byte): read here, without a call to value(), they take fewer instructions
   * (bench/viewer.ts, "CborCursor.unsigned").
   */
  unsigned(): number {
    const initial = this.bytes[this.pos];
    if (initial === undefined || initial > UINT_LAST) return -1;
    this.pos++;
    return initial < 24 ? initial : (this.argument(initial & 0x1f) as number);
  }

  /**
   * A field the format defines as an integer (docs/format.md, "Conventions"), as a number: a
   * short unsigned one read in place, a bigint narrowed, anything else NaN.
   */
  integer(): number {
    const unsigned = this.unsigned();
    if (unsigned >= 0) return unsigned;
    const value = this.value();
    return typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : Number.NaN;
  }

  /** A field that holds text or nothing: the text, or undefined for anything else. */
  optionalText(): string | undefined {
    if (this.bytes[this.pos] === NULL) {
      this.pos++;
      return undefined;
    }
    const value = this.value();
    return typeof value === 'string' ? value : undefined;
  }

  /**
   * A definite byte string read in place: the offset of its first byte, with `pos` left at its
   * end; -1 (and the item skipped) for anything else. Nothing is built from its bytes.
   */
  byteStringStart(): number {
    if (this.pos < this.end && this.bytes[this.pos]! >> 5 === 2 && (this.bytes[this.pos]! & 0x1f) !== 31) {
      const length = this.argument(this.bytes[this.pos++]! & 0x1f);
      return this.take(Number(length));
    }
    this.value();
    return -1;
  }

  /** The length of a definite array at `pos` (consumed), or undefined (nothing consumed) for any other item. */
  arrayHeader(): number | undefined {
    const initial = this.bytes[this.pos];
    if (initial === undefined || initial >> 5 !== MAJOR_ARRAY || (initial & 0x1f) === 31) return undefined;
    this.pos++;
    return Number(this.argument(initial & 0x1f));
  }

  /** The argument of an item head whose initial byte (already consumed) had `info` in its low bits. */
  argument(info: number): number | bigint {
    if (info < 24) return info;
    const bytes = this.bytes;
    switch (info) {
      case 24:
        return bytes[this.take(1)]!;
      case 25:
        return bytes.readUInt16BE(this.take(2));
      case 26:
        return bytes.readUInt32BE(this.take(4));
      case 27:
        return bytes.readBigUInt64BE(this.take(8));
      default:
        throw this.malformed(`CBOR item with reserved length ${info} at ${this.pos - 1}`);
    }
  }

  /** Advances past `count` bytes and returns where they start; throws past the end. */
  take(count: number): number {
    const start = this.pos;
    if (count > this.end - start) throw this.malformed(ENDS_INSIDE_ITEM);
    this.pos = start + count;
    return start;
  }

  /**
   * A time delta (docs/format.md, "Records"): a number where it is exact, so the caller adds it
   * with one BigInt(); a bigint only beyond 2^53 ns (104 days). A delta past 2^32 ns (4.3 s: a
   * record logged with its own, earlier timestamp) has an 8-byte argument, which argument()
   * would read as a bigint.
   */
  nanos(): number | bigint {
    const bytes = this.bytes;
    const initial = bytes[this.pos];
    // Most deltas: an unsigned integer of up to 4 bytes.
    if (initial !== undefined && initial <= 0x1a) {
      this.pos++;
      return initial < 24 ? initial : (this.argument(initial & 0x1f) as number);
    }
    if (initial === 0x1b || initial === 0x3b) {
      const start = this.take(9) + 1;
      const high = bytes.readUInt32BE(start);
      if (high < 0x200000) {
        const magnitude = high * 0x100000000 + bytes.readUInt32BE(start + 4);
        return initial === 0x1b ? magnitude : -1 - magnitude;
      }
      this.pos = start - 1;
    }
    const value = this.value();
    if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))) return value;
    throw this.malformed('a time delta is not an integer');
  }

  /**
   * One CBOR item as an AnyValue the way the file means it (docs/format.md, "Values"): string
   * references resolved, tagged maps as objects, integers with an 8-byte argument as bigint.
   * Small unsigned integers (counts, flags, indexes, string-table keys) and string references are
   * most of the items in a chunk and are read before the general switch.
   */
  value(): unknown {
    const bytes = this.bytes;
    const pos = this.pos;
    if (pos >= this.end) throw this.malformed(ENDS_INSIDE_ITEM);
    const initial = bytes[pos]!;
    this.pos = pos + 1;
    if (initial < 24) return initial;
    if (initial === 0xd9 && this.isStringRefTag(pos + 1) && bytes[pos + 3]! < 24) {
      this.pos = pos + 4;
      return this.strings[bytes[pos + 3]!] ?? '';
    }
    const info = initial & 0x1f;
    switch (initial >> 5) {
      case 0:
        return this.argument(info);
      case 1: {
        const argument = this.argument(info);
        return typeof argument === 'bigint' ? -1n - argument : -1 - argument;
      }
      case 2:
        return info === 31 ? Buffer.concat(this.stringParts(2)) : this.byteString(Number(this.argument(info)));
      case 3:
        return info === 31 ? Buffer.concat(this.stringParts(3)).toString('utf8') : this.text(Number(this.argument(info)));
      case 4: {
        this.enter();
        const items = info === 31 ? this.indefinite() : this.array(Number(this.argument(info)));
        this.leave();
        return items;
      }
      case 5: {
        this.enter();
        const map = this.map(info);
        this.leave();
        return map;
      }
      case 6: {
        const tag = Number(this.argument(info));
        if (bytes[this.pos]! >> 5 === 6) throw this.malformed(TAG_ON_TAG);
        return this.tagged(tag);
      }
      default:
        return this.simple(info);
    }
  }

  /**
   * Walks `count` items, building nothing, and fails exactly where value() would (the same
   * length, depth and end checks). What lets chunk-decoder.ts check a whole chunk before it
   * decodes the chunk's records a slice at a time.
   *
   * One loop over the bytes with a stack of the arrays and maps it is in, not a call per item.
   */
  skip(count = 1): void {
    const bytes = this.bytes;
    const end = this.end;
    const outer = this.skipStack;
    let pos = this.pos;
    let level = 0;
    // Items still to walk in the innermost open array or map (at level 0: of the `count`); -1: up to a break code.
    let left = count;
    for (;;) {
      if (left === 0) {
        if (level === 0) break;
        left = outer[--level]!;
        continue;
      }
      if (pos >= end) throw this.malformed(ENDS_INSIDE_ITEM);
      const initial = bytes[pos++]!;
      if (left === -1 && initial === BREAK) {
        left = outer[--level]!;
        continue;
      }
      if (left > 0) left--;
      if (initial < 24) continue;
      const major = initial >> 5;
      const info = initial & 0x1f;
      let argument = info;
      if (info === 31) {
        if (major === 2 || major === 3) {
          this.pos = pos;
          this.stringParts(major);
          pos = this.pos;
          continue;
        }
        if (major === 7) throw this.malformed(BREAK_OUTSIDE);
        if (major !== 4 && major !== 5) throw this.malformed(`CBOR item with reserved length 31 at ${pos - 1}`);
        argument = -1;
      } else if (info >= 28) {
        if (major !== 7) throw this.malformed(`CBOR item with reserved length ${info} at ${pos - 1}`);
      } else if (info >= 24) {
        const size = 1 << (info - 24);
        if (size > end - pos) throw this.malformed(ENDS_INSIDE_ITEM);
        argument =
          size === 1
            ? bytes[pos]!
            : size === 2
              ? bytes.readUInt16BE(pos)
              : size === 4
                ? bytes.readUInt32BE(pos)
                : bytes.readUInt32BE(pos) * 0x100000000 + bytes.readUInt32BE(pos + 4);
        pos += size;
      }
      switch (major) {
        case 2:
        case 3:
          if (argument > end - pos) throw this.malformed(ENDS_INSIDE_ITEM);
          pos += argument;
          break;
        case 4:
        case 5: {
          if (this.depth + level >= MAX_DEPTH) throw this.malformed(TOO_DEEP);
          if (major === 4 && argument > end - pos) throw this.malformed(ENDS_INSIDE_ARRAY);
          const items = major === 5 && argument > 0 ? argument * 2 : argument;
          if (items === 0) break;
          outer[level++] = left;
          left = items;
          break;
        }
        case 6:
          // The tagged item is part of this one: it is not counted, and a break cannot stand for it.
          if (bytes[pos]! >> 5 === 6) throw this.malformed(TAG_ON_TAG);
          if ((argument === 2 || argument === 3) && bytes[pos]! >> 5 === 2 && this.byteStringLength(pos) > MAX_BIGNUM_BYTES)
            throw this.malformed(BIGNUM_TOO_LONG);
          if (left >= 0) left++;
          else if (bytes[pos] === BREAK) throw this.malformed(BREAK_OUTSIDE);
          break;
        default:
          break;
      }
    }
    this.pos = pos;
  }

  /**
   * The parts of an indefinite-length string, as views: each must be a definite-length string of
   * the same major type (RFC 8949, section 3.2.3).
   */
  private stringParts(major: number): Buffer[] {
    const parts: Buffer[] = [];
    for (;;) {
      const initial = this.bytes[this.take(1)]!;
      if (initial === BREAK) return parts;
      if (initial >> 5 !== major) throw this.malformed('indefinite-length string with a part of another type');
      // An indefinite-length part fails here: argument() has no length for it.
      const length = Number(this.argument(initial & 0x1f));
      const start = this.take(length);
      parts.push(this.bytes.subarray(start, start + length));
    }
  }

  /**
   * The length of the byte string at `at`, all its parts if it has them, read as value() reads
   * it and failing where value() would; `pos` is left where it was.
   */
  private byteStringLength(at: number): number {
    const pos = this.pos;
    this.pos = at + 1;
    const info = this.bytes[at]! & 0x1f;
    const length = info === 31 ? this.stringParts(2).reduce((sum, part) => sum + part.length, 0) : Number(this.argument(info));
    this.pos = pos;
    return length;
  }

  /** Whether the two bytes at `at` are those of tag 40100 after its 0xd9 head. */
  isStringRefTag(at: number): boolean {
    return this.bytes[at] === STRING_REF_TAG >> 8 && this.bytes[at + 1] === (STRING_REF_TAG & 0xff);
  }

  /** One level deeper into arrays and maps. No try/finally around the count: a throw abandons the whole cursor. */
  enter(): void {
    if (++this.depth > MAX_DEPTH) throw this.malformed(TOO_DEEP);
  }

  /** Back out of an array or map that {@link enter} went into. */
  leave(): void {
    this.depth--;
  }

  private array(length: number): unknown[] {
    // Each item takes at least a byte: a length past the end is damage, not an allocation.
    if (length > this.end - this.pos) throw this.malformed(ENDS_INSIDE_ARRAY);
    const items = new Array<unknown>(length);
    for (let i = 0; i < length; i++) items[i] = this.value();
    return items;
  }

  /** Items up to a break code (indefinite length). */
  private indefinite(): unknown[] {
    const items: unknown[] = [];
    while (this.bytes[this.pos] !== BREAK) items.push(this.value());
    this.pos++;
    return items;
  }

  /** A plain CBOR map (the writer uses tagged arrays instead) as an object with string keys. */
  private map(info: number): Record<string, unknown> {
    let flat: unknown[];
    if (info === 31) flat = this.indefinite();
    else {
      flat = [];
      for (let i = Number(this.argument(info)) * 2; i > 0; i--) flat.push(this.value());
    }
    const out: Record<string, unknown> = {};
    for (let i = 0; i + 1 < flat.length; i += 2)
      Object.defineProperty(out, propertyKey(flat[i]), { value: flat[i + 1], enumerable: true, writable: true, configurable: true });
    return out;
  }

  private tagged(tag: number): unknown {
    if (tag === MAP_TAG) return this.entriesItem();
    const inner = this.value();
    switch (tag) {
      case STRING_REF_TAG:
        return typeof inner === 'number' ? (this.strings[inner] ?? '') : '';
      case 2:
        return inner instanceof Uint8Array ? this.bignum(inner) : undefined;
      case 3:
        return inner instanceof Uint8Array ? -1n - this.bignum(inner) : undefined;
      case HEX_TEXT_TAG:
      case UUID_TEXT_TAG:
        return inner instanceof Uint8Array ? unpackedText(tag, inner) : undefined;
      default:
        // A tag this format does not define has no AnyValue meaning.
        return undefined;
    }
  }

  /**
   * A bignum's magnitude (RFC 8949, section 3.4.3), through its hex digits: one linear pass, where
   * shifting in a byte at a time copies the growing bigint for every byte. A longer bignum than
   * any writer stores is damage: its bigint would cost every reader of it more than its size.
   */
  private bignum(bytes: Uint8Array): bigint {
    if (bytes.length > MAX_BIGNUM_BYTES) throw this.malformed(BIGNUM_TOO_LONG);
    return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex')}`);
  }

  private simple(info: number): unknown {
    switch (info) {
      case 20:
        return false;
      case 21:
        return true;
      case 22:
        return null;
      case 25:
        return halfFloat(this.bytes.readUInt16BE(this.take(2)));
      case 26:
        return this.bytes.readFloatBE(this.take(4));
      case 27:
        return this.bytes.readDoubleBE(this.take(8));
      case 31:
        throw this.malformed(BREAK_OUTSIDE);
      default:
        if (info === 24) this.take(1);
        return undefined;
    }
  }

  private byteString(length: number): Uint8Array {
    const start = this.take(length);
    // A copy: a view would keep the whole decompressed chunk alive as long as the record.
    return new Uint8Array(this.bytes.subarray(start, start + length));
  }

  private text(length: number): string {
    const start = this.take(length);
    const bytes = this.bytes;
    // Short ASCII strings (attribute values such as ids) are built in JS; a native call costs more.
    // Only below 13 characters: from there V8 joins strings as a rope (a cons string), and lines
    // made of such strings took three times as long to encode as of flat ones (a microbenchmark).
    if (length < 13) {
      let text = '';
      for (let i = start; i < start + length; i++) {
        const byte = bytes[i]!;
        if (byte >= 0x80) return bytes.toString('utf8', start, start + length);
        text += String.fromCharCode(byte);
      }
      return text;
    }
    return bytes.toString('utf8', start, start + length);
  }
}

/**
 * A map key that is not a string reference, as a property name. String() of a decoded map or
 * array can throw (a crafted map with a `toString` key that is not a function); skip() could
 * not predict that, so such a key becomes '' instead.
 */
function propertyKey(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  try {
    return String(raw);
  } catch {
    return '';
  }
}

/**
 * A file header (docs/format.md, "File prefix and header"): the one CBOR item `bytes` hold, read
 * as value() reads chunk items. Throws on malformed CBOR and on bytes after the item. Reading
 * headers here rather than with cbor-x spares the viewer loading cbor-x at start (a tenth of its
 * start-up, valgrind).
 */
export function decodeHeader(bytes: Buffer): unknown {
  return new HeaderCursor(bytes).read();
}

class HeaderCursor extends CborCursor {
  read(): unknown {
    const item = this.value();
    if (this.pos !== this.end) throw this.malformed('bytes after the header item');
    return item;
  }
}

/** Flat [key, value, …] with values already decoded → object; a numeric key is an index into `strings`. */
export function entriesObject(flat: readonly unknown[], strings: readonly string[]): Record<string, AnyValue> {
  const out: Record<string, AnyValue> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) setEntry(out, entryKey(flat[i], strings), flat[i + 1] as AnyValue);
  return out;
}

/** A key as read by key(), as the property name the reader's objects give it. */
export function entryKey(raw: unknown, strings: readonly string[]): string {
  return typeof raw === 'number' ? (strings[raw] ?? '') : propertyKey(raw);
}

function setEntry(out: Record<string, AnyValue>, key: string, value: AnyValue): void {
  // A plain assignment of "__proto__" would replace the prototype instead of adding a key.
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

function halfFloat(half: number): number {
  const exponent = (half >> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  const sign = half & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa === 0 ? sign * Infinity : Number.NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
