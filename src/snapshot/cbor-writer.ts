/**
 * Plain CBOR (RFC 8949) written straight into a growing buffer: what the snapshot encoder writes a
 * chunk's records with, from the slot bytes, instead of building a JS array per record for
 * cbor-x to walk (cbor-x's `encode` was half of a snapshot's CPU profile). It writes what the
 * cbor-x configuration of cbor.ts writes for the same values (docs/format.md, "Conventions"):
 * shortest integer heads, a JS number that is an integer in [−2³², 2³² − 1] (other than −0) as an
 * integer, a bigint with an 8-byte argument or as a bignum, definite lengths only; except that
 * other numbers take the shortest float that holds them exactly, where cbor-x always takes a
 * float64. The hot loop of the snapshot path, so it reads and writes bytes itself.
 */

const MAJOR_UNSIGNED = 0x00;
const MAJOR_NEGATIVE = 0x20;
const MAJOR_BYTES = 0x40;
const MAJOR_TEXT = 0x60;
const MAJOR_ARRAY = 0x80;
const MAJOR_TAG = 0xc0;
const FLOAT16 = 0xf9;
const FLOAT32 = 0xfa;
const FLOAT64 = 0xfb;
/** Copies up to this many bytes long are done in JS (see CborWriter.copy). */
const SHORT_COPY = 64;
/** One float32 and its bits, to find the shortest float that holds a number. */
const FLOAT32_VIEW = new Float32Array(1);
const FLOAT32_BITS = new Uint32Array(FLOAT32_VIEW.buffer);
const UINT32_LIMIT = 2 ** 32;
const UINT64_LIMIT = 2n ** 64n;

/** A CBOR writer over one growing buffer; {@link reset} starts again without giving the buffer back. */
export class CborWriter {
  /** The bytes written so far are `bytes[0, length)`. */
  bytes: Buffer;
  length = 0;

  constructor(initialBytes = 64 * 1024) {
    this.bytes = Buffer.allocUnsafe(initialBytes);
  }

  reset(): void {
    this.length = 0;
  }

  /** Room for `count` more bytes; returns where they go. */
  private room(count: number): number {
    const at = this.length;
    if (at + count > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, at + count));
      this.bytes.copy(grown, 0, 0, at);
      this.bytes = grown;
    }
    this.length = at + count;
    return at;
  }

  /** One byte: a simple value such as null (0xf6), undefined (0xf7), false (0xf4), true (0xf5), or a head with its argument in place. */
  byte(value: number): void {
    const at = this.length;
    if (at === this.bytes.length) this.room(1);
    else this.length = at + 1;
    this.bytes[at] = value;
  }

  /** A head of `major` with an argument from 0 to 2³² − 1, in the fewest bytes. */
  head(major: number, argument: number): void {
    if (argument < 24) {
      this.byte(major | argument);
      return;
    }
    if (argument < 0x100) {
      const at = this.room(2);
      this.bytes[at] = major | 24;
      this.bytes[at + 1] = argument;
    } else if (argument < 0x10000) {
      const at = this.room(3);
      this.bytes[at] = major | 25;
      this.bytes.writeUInt16BE(argument, at + 1);
    } else {
      const at = this.room(5);
      this.bytes[at] = major | 26;
      this.bytes.writeUInt32BE(argument, at + 1);
    }
  }

  /** An array head of `count` items. */
  array(count: number): void {
    this.head(MAJOR_ARRAY, count);
  }

  /** A tag head. */
  tag(tag: number): void {
    this.head(MAJOR_TAG, tag);
  }

  /**
   * A JS number: an integer in [−2³², 2³² − 1] other than −0 as an integer (as cbor-x writes it),
   * any other number as the shortest float that holds it exactly (docs/format.md, "Values"). A
   * half-precision float takes 3 bytes where a float64 takes 9, and the fractions logs carry
   * (durations in ms, ratios) are mostly of a few bits: incompressible bytes for LZ4 otherwise.
   */
  number(value: number): void {
    if (Number.isInteger(value) && value < UINT32_LIMIT && value >= -UINT32_LIMIT && !(value === 0 && 1 / value < 0)) {
      if (value >= 0) this.head(MAJOR_UNSIGNED, value);
      else this.head(MAJOR_NEGATIVE, -1 - value);
      return;
    }
    FLOAT32_VIEW[0] = value;
    if (FLOAT32_VIEW[0] === value || Number.isNaN(value)) {
      const bits = FLOAT32_BITS[0]!;
      const half = halfBits(bits);
      if (half >= 0) {
        const at = this.room(3);
        this.bytes[at] = FLOAT16;
        this.bytes[at + 1] = half >>> 8;
        this.bytes[at + 2] = half & 0xff;
      } else {
        const at = this.room(5);
        this.bytes[at] = FLOAT32;
        this.bytes.writeUInt32BE(bits, at + 1);
      }
    } else {
      const at = this.room(9);
      this.bytes[at] = FLOAT64;
      this.bytes.writeDoubleBE(value, at + 1);
    }
  }

  /** A bigint: an integer with an 8-byte argument when it fits 64 bits, else a bignum (tag 2 or 3). */
  bigint(value: bigint): void {
    if (value >= 0n ? value < UINT64_LIMIT : value > -UINT64_LIMIT) {
      const at = this.room(9);
      this.bytes[at] = value >= 0n ? 0x1b : 0x3b;
      this.bytes.writeBigUInt64BE(value >= 0n ? value : -1n - value, at + 1);
      return;
    }
    const magnitude = value >= 0n ? value : -1n - value;
    const hex = magnitude.toString(16);
    const digits = Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
    this.tag(value >= 0n ? 2 : 3);
    this.byteString(digits, 0, digits.length);
  }

  /** A byte string of `source[start, end)`. */
  byteString(source: Uint8Array, start: number, end: number): void {
    this.head(MAJOR_BYTES, end - start);
    this.copy(source, start, end);
  }

  /** The head of a byte string of `length` bytes, and room for them: where the caller writes them in {@link bytes}. */
  byteStringRoom(length: number): number {
    this.head(MAJOR_BYTES, length);
    return this.room(length);
  }

  /** A text string of UTF-8 bytes `source[start, end)`, copied as they are. */
  utf8(source: Uint8Array, start: number, end: number): void {
    this.head(MAJOR_TEXT, end - start);
    this.copy(source, start, end);
  }

  /** Appends `source[start, end)`. Short runs (ids, names, most values) are copied in JS: a native copy and its view cost more. */
  private copy(source: Uint8Array, start: number, end: number): void {
    const at = this.room(end - start);
    const bytes = this.bytes;
    if (end - start > SHORT_COPY) bytes.set(source.subarray(start, end), at);
    else for (let i = start, to = at; i < end; i++, to++) bytes[to] = source[i]!;
  }

  /** A text string. */
  text(value: string): void {
    const byteLength = Buffer.byteLength(value, 'utf8');
    this.head(MAJOR_TEXT, byteLength);
    const at = this.room(byteLength);
    this.bytes.write(value, at, byteLength, 'utf8');
  }

  /** Bytes already encoded as CBOR, copied in. */
  raw(source: Uint8Array): void {
    const at = this.room(source.length);
    this.bytes.set(source, at);
  }
}

/**
 * The half-precision float (IEEE 754 binary16) bits that hold the float32 of `bits` exactly, or
 * -1 when none do. Any NaN becomes the one quiet NaN (JavaScript has no other).
 */
function halfBits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return mantissa === 0 ? sign | 0x7c00 : 0x7e00;
  if (exponent === 0) return mantissa === 0 ? sign : -1;
  const power = exponent - 127;
  if (power > 15 || power < -24) return -1;
  // A normal half has 10 mantissa bits: the float32's 13 lower ones must be 0.
  if (power >= -14) return (mantissa & 0x1fff) === 0 ? sign | ((power + 15) << 10) | (mantissa >>> 13) : -1;
  // A subnormal half is a multiple of 2⁻²⁴: the bits below that must be 0.
  const significand = 0x800000 | mantissa;
  const shift = -(power + 1);
  return (significand & ((1 << shift) - 1)) === 0 ? sign | (significand >>> shift) : -1;
}
