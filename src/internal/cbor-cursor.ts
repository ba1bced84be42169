/**
 * Reads the CBOR items of a chunk payload as the values they stand for in a snapshot file
 * (docs/format.md, "Values"): string references resolved against the chunk's string table,
 * tagged maps as objects, integers with an 8-byte argument as bigint. Throws on malformed CBOR.
 *
 * Part of the reader's hot loop (see chunk-decoder.ts), so it reads bytes itself rather than
 * through cbor-x, and is longer than our files usually are.
 */
import type { AnyValue } from '../otel-types.ts';
import { MAP_TAG, STRING_REF_TAG } from './cbor.ts';

/** Deeper nesting than the writer produces (it stops at 8) is damage, not a reason to overflow the stack. */
const MAX_DEPTH = 64;
const MAJOR_ARRAY = 4;

export class CborCursor {
  protected pos = 0;
  protected strings: readonly string[] = [];
  private depth = 0;

  constructor(protected readonly bytes: Buffer) {}

  /** Flat [key, value, …] with values already decoded → object; a numeric key is a string reference. */
  protected entries(flat: readonly unknown[]): Record<string, AnyValue> {
    const out: Record<string, AnyValue> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) this.setEntry(out, flat[i], flat[i + 1] as AnyValue);
    return out;
  }

  /** A flat [key, value, …] array read straight into an object; undefined (item skipped) for anything else. */
  protected entriesItem(): Record<string, AnyValue> | undefined {
    const length = this.arrayHeader();
    if (length === undefined) {
      const item = this.value();
      return Array.isArray(item) ? this.entries(item) : undefined;
    }
    this.enter();
    const out: Record<string, AnyValue> = {};
    for (let i = 0; i + 1 < length; i += 2) this.setEntry(out, this.value(), this.value() as AnyValue);
    if (length % 2 === 1) this.value();
    this.leave();
    return out;
  }

  private setEntry(out: Record<string, AnyValue>, rawKey: unknown, value: AnyValue): void {
    const key = typeof rawKey === 'number' ? (this.strings[rawKey] ?? '') : String(rawKey);
    // A plain assignment of "__proto__" would replace the prototype instead of adding a key.
    if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  }

  /** A byte string as hex, read in place; undefined (and the item skipped) for anything else. */
  protected hexBytes(): string | undefined {
    if (this.pos < this.bytes.length && this.bytes[this.pos]! >> 5 === 2 && (this.bytes[this.pos]! & 0x1f) !== 31) {
      const length = this.argument(this.bytes[this.pos++]! & 0x1f);
      const start = this.take(Number(length));
      return this.bytes.toString('hex', start, start + Number(length));
    }
    this.value();
    return undefined;
  }

  /** The length of a definite array at `pos` (consumed), or undefined (nothing consumed) for any other item. */
  protected arrayHeader(): number | undefined {
    const initial = this.bytes[this.pos];
    if (initial === undefined || initial >> 5 !== MAJOR_ARRAY || (initial & 0x1f) === 31) return undefined;
    this.pos++;
    return Number(this.argument(initial & 0x1f));
  }

  /** The argument of an item head whose initial byte (already consumed) had `info` in its low bits. */
  protected argument(info: number): number | bigint {
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
        throw new Error(`CBOR item with reserved length ${info} at ${this.pos - 1}`);
    }
  }

  /** Advances past `count` bytes and returns where they start; throws past the end. */
  protected take(count: number): number {
    const start = this.pos;
    if (count > this.bytes.length - start) throw new Error('chunk payload ends inside a CBOR item');
    this.pos = start + count;
    return start;
  }

  /**
   * A time delta (docs/format.md, "Records"): a number where it is exact, so the caller adds it
   * with one BigInt(); a bigint only beyond 2^53 ns (104 days). A delta past 2^32 ns (4.3 s: a
   * record logged with its own, earlier timestamp) has an 8-byte argument, which argument()
   * would read as a bigint.
   */
  protected nanos(): number | bigint {
    const bytes = this.bytes;
    const initial = bytes[this.pos];
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
    throw new Error('a time delta is not an integer');
  }

  /**
   * One CBOR item as an AnyValue the way the file means it (docs/format.md, "Values"): string
   * references resolved, tagged maps as objects, integers with an 8-byte argument as bigint.
   * Small unsigned integers (counts, flags, indexes, string-table keys) and string references are
   * most of the items in a chunk and are read before the general switch.
   */
  protected value(): unknown {
    const bytes = this.bytes;
    const pos = this.pos;
    if (pos >= bytes.length) throw new Error('chunk payload ends inside a CBOR item');
    const initial = bytes[pos]!;
    this.pos = pos + 1;
    if (initial < 24) return initial;
    if (initial === 0xd9 && this.isStringRefTag(pos + 1)) {
      this.pos = pos + 3;
      const index = this.value();
      return typeof index === 'number' ? (this.strings[index] ?? '') : '';
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
        return info === 31 ? Buffer.concat(this.indefinite() as Uint8Array[]) : this.byteString(Number(this.argument(info)));
      case 3:
        return info === 31 ? (this.indefinite() as string[]).join('') : this.text(Number(this.argument(info)));
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
      case 6:
        return this.tagged(Number(this.argument(info)));
      default:
        return this.simple(info);
    }
  }

  /**
   * Walks one item, building nothing, and fails exactly where value() would (the same length,
   * depth and end checks). What lets chunk-decoder.ts check a whole chunk before it decodes the
   * chunk's records a slice at a time.
   */
  protected skip(): void {
    const initial = this.bytes[this.take(1)]!;
    // Most items of a chunk are small integers, short strings, string references and floats,
    // read here without the general path (check() walked a chunk in half the time of decoding it).
    if (initial < 24) return;
    const info = initial & 0x1f;
    const major = initial >> 5;
    if (major === 0 && info <= 26) {
      this.take(1 << (info - 24));
      return;
    }
    if (major === 3 && info < 24) {
      this.take(info);
      return;
    }
    if (initial === 0xd9 && this.isStringRefTag(this.pos) && this.bytes[this.pos + 2]! < 24) {
      this.take(3);
      return;
    }
    if (initial === 0xfb) {
      this.take(8);
      return;
    }
    if (major === 7) {
      this.simple(info);
      return;
    }
    if (info === 31 && major >= 2 && major <= 5) {
      if (major >= 4) this.enter();
      while (this.bytes[this.pos] !== 0xff) {
        // value() joins the parts of an indefinite byte string with Buffer.concat, which takes byte strings only.
        if (major === 2 && this.bytes[this.pos]! >> 5 !== 2) throw new Error('indefinite byte string with a part that is not bytes');
        this.skip();
      }
      this.pos++;
      if (major >= 4) this.leave();
      return;
    }
    const argument = this.skipArgument(info);
    switch (major) {
      case 2:
      case 3:
        this.take(argument);
        return;
      case 4:
      case 5: {
        this.enter();
        const items = major === 4 ? argument : argument * 2;
        if (major === 4 && items > this.bytes.length - this.pos) throw new Error('chunk payload ends inside a CBOR array');
        for (let i = 0; i < items; i++) this.skip();
        this.leave();
        return;
      }
      case 6:
        this.skip();
        return;
      default:
        return;
    }
  }

  /** As argument(), as a number: an 8-byte one may lose precision, which only a length past any payload needs. */
  private skipArgument(info: number): number {
    if (info !== 27) return Number(this.argument(info));
    const start = this.take(8);
    return this.bytes.readUInt32BE(start) * 0x100000000 + this.bytes.readUInt32BE(start + 4);
  }

  /** Whether the two bytes at `at` are those of tag 40100 after its 0xd9 head. */
  private isStringRefTag(at: number): boolean {
    return this.bytes[at] === STRING_REF_TAG >> 8 && this.bytes[at + 1] === (STRING_REF_TAG & 0xff);
  }

  /** One level deeper into arrays and maps. No try/finally around the count: a throw abandons the whole cursor. */
  protected enter(): void {
    if (++this.depth > MAX_DEPTH) throw new Error('CBOR nesting too deep');
  }

  protected leave(): void {
    this.depth--;
  }

  private array(length: number): unknown[] {
    // Each item takes at least a byte: a length past the end is damage, not an allocation.
    if (length > this.bytes.length - this.pos) throw new Error('chunk payload ends inside a CBOR array');
    const items = new Array<unknown>(length);
    for (let i = 0; i < length; i++) items[i] = this.value();
    return items;
  }

  /** Items up to a break code (indefinite length). */
  private indefinite(): unknown[] {
    const items: unknown[] = [];
    for (;;) {
      if (this.bytes[this.pos] === 0xff) {
        this.pos++;
        return items;
      }
      items.push(this.value());
    }
  }

  /** A plain CBOR map (the writer uses tagged arrays instead) as an object with string keys. */
  private map(info: number): Record<string, unknown> {
    const flat: unknown[] = [];
    if (info === 31) flat.push(...this.indefinite());
    else for (let i = Number(this.argument(info)) * 2; i > 0; i--) flat.push(this.value());
    const out: Record<string, unknown> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) Object.defineProperty(out, String(flat[i]), { value: flat[i + 1], enumerable: true, writable: true, configurable: true });
    return out;
  }

  private tagged(tag: number): unknown {
    if (tag === MAP_TAG) return this.entriesItem();
    const inner = this.value();
    switch (tag) {
      case STRING_REF_TAG:
        return typeof inner === 'number' ? (this.strings[inner] ?? '') : '';
      case 2:
        return inner instanceof Uint8Array ? bignum(inner) : undefined;
      case 3:
        return inner instanceof Uint8Array ? -1n - bignum(inner) : undefined;
      default:
        // A tag this format does not define has no AnyValue meaning.
        return undefined;
    }
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
        throw new Error('CBOR break outside an indefinite-length item');
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
    if (length < 24) {
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

function bignum(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

function halfFloat(half: number): number {
  const exponent = (half >> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  const sign = half & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa === 0 ? sign * Infinity : Number.NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
