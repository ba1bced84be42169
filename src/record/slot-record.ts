/**
 * The slot record format (docs/architecture.md, "Slot records"): its fixed offsets, flags and
 * value tags, and the writers of its variable parts that RecordEncoder (any record) and typed
 * events (declared records) both use, so the two write the same bytes for the same value.
 * record-decoder.ts reads what these write.
 *
 * The writers are hot-path code: each takes the ring's bytes and a position whose room the caller
 * has checked, writes in place and returns the position after what it wrote; nothing allocates.
 */

/** Bits of a slot record's flags byte (Fixed.Flags). */
export const RecordFlag = {
  Truncated: 1,
  SeverityText: 2,
  EventName: 4,
  Body: 8,
  Trace: 16,
} as const;

/** The tag byte in front of each value of a slot record. */
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

/**
 * Inline strings shorter than this are copied by a JS loop ({@link putAscii}) when they are ASCII;
 * longer ones and non-ASCII ones by one `Buffer#write` ({@link putUtf8Text}), whose fixed call cost
 * the loop beats only on short strings; the two meet near this length (bench/emit-micro.ts,
 * "ASCII_LOOP_LENGTH").
 */
export const ASCII_LOOP_LENGTH = 32;

/** Most bytes a number value takes: a tag and a float64 (an int takes a tag and at most 5). */
export const NUMBER_BYTES = 9;

/** Most bytes an int value takes: a tag and a 5-byte varint. */
export const INT_BYTES = 6;

/** Each ASCII code's hex digit value, −1 for a code that is none. */
const HEX_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUES['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_VALUES['0123456789ABCDEF'.charCodeAt(i)] = i;
}

/**
 * Writes the first `byteCount` bytes that `hex` spells (two digits a byte, either case) at `at`,
 * for a trace or span id: decoded in place rather than by `Buffer.from(hex, 'hex')`, which would
 * allocate a buffer per id. False at the first pair that is not two hex digits (the bytes before
 * it are written and left for the caller to overwrite or abandon); the caller checks the length.
 */
export function putHex(bytes: Uint8Array, at: number, hex: string, byteCount: number): boolean {
  for (let i = 0; i < byteCount; i++) {
    const high = hexValue(hex.charCodeAt(2 * i));
    const low = hexValue(hex.charCodeAt(2 * i + 1));
    if ((high | low) < 0) return false;
    bytes[at + i] = (high << 4) | low;
  }
  return true;
}

/** A hex digit's value; −1 for any other code, and for the NaN a read past the string's end gives. */
function hexValue(code: number): number {
  return code < 128 ? HEX_VALUES[code]! : -1;
}

/** Writes a minimal varint at `pos`; returns the position after it. */
export function putVarint(bytes: Uint8Array, pos: number, value: number): number {
  while (value >= 0x80) {
    bytes[pos++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  bytes[pos++] = value;
  return pos;
}

/** A varint padded to `size` bytes (1 to 3), which the decoder reads like a minimal one. */
export function putPaddedVarint(bytes: Uint8Array, at: number, size: number, value: number): void {
  if (size === 1) {
    bytes[at] = value;
    return;
  }
  bytes[at] = (value & 0x7f) | 0x80;
  if (size === 2) {
    bytes[at + 1] = value >>> 7;
    return;
  }
  bytes[at + 1] = ((value >>> 7) & 0x7f) | 0x80;
  bytes[at + 2] = (value >>> 14) & 0x7f;
}

/** Whether a number is written as an Int: an int32 other than −0 (which passes the int32 test). */
export function isSlotInt(value: number): boolean {
  return (value | 0) === value && (value !== 0 || 1 / value > 0);
}

/**
 * A number value at `pos`: an Int as a zigzag varint, any other number as a Float's 8 bytes
 * (little-endian; the decoder reads them so). Needs {@link NUMBER_BYTES} of room.
 */
export function putNumber(bytes: Uint8Array, data: DataView, pos: number, value: number): number {
  if (isSlotInt(value)) {
    bytes[pos] = ValueTag.Int;
    return putVarint(bytes, pos + 1, ((value << 1) ^ (value >> 31)) >>> 0);
  }
  bytes[pos] = ValueTag.Float;
  data.setFloat64(pos + 1, value, true);
  return pos + NUMBER_BYTES;
}

/**
 * Copies `text` to `at` one byte a UTF-16 unit; false at its first non-ASCII unit (the bytes up
 * to it are written and left for the caller to overwrite). Needs `text.length` bytes of room.
 */
export function putAscii(bytes: Uint8Array, at: number, text: string): boolean {
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return false;
    bytes[at + i] = code;
  }
  return true;
}

/** The header size {@link putUtf8Text} pads to for `text`: the longest encoding's length fits it. */
export function utf8HeaderBytes(text: string): number {
  const most = 3 * text.length;
  return most < 0x40 ? 1 : most < 0x2000 ? 2 : 3;
}

/**
 * Inline UTF-8 text at `pos`: one `Buffer#write` after a header padded to the size the longest
 * possible encoding needs (3 bytes per UTF-16 unit) — not `Buffer.byteLength` first and then
 * `write`, which walks the string twice (bench/emit-micro.ts, "writeInlineText"). Needs
 * {@link utf8HeaderBytes} + 3 × `text.length` bytes of room.
 */
export function putUtf8Text(bytes: Buffer, pos: number, text: string): number {
  const headerBytes = utf8HeaderBytes(text);
  const written = bytes.write(text, pos + headerBytes, 3 * text.length, 'utf8');
  putPaddedVarint(bytes, pos, headerBytes, written * 2);
  return pos + headerBytes + written;
}
