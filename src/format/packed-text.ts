/**
 * Text that spells bytes — hexadecimal ids, UUIDs — stored as those bytes under a tag
 * (docs/format.md, "Values", v1.2): the writer packs it, the reader spells it again, and the text
 * round-trips exactly because only the lowercase spelling is packed. The writer's side runs once
 * per text value of a snapshot, so it checks and packs bytes in place, allocating nothing.
 */
import { HEX_TEXT_TAG, UUID_TEXT_TAG } from './file-tags.ts';

/** Shorter hex text is left as text: a tag and a length cost more than packing saves. */
const MIN_HEX_DIGITS = 16;
const UUID_LENGTH = 36;
const UUID_BYTES = 16;
const DASH = 0x2d;

/** Each byte's value as a lowercase hex digit, or -1. */
const DIGITS = new Int8Array(256).fill(-1);
for (let i = 0; i < 16; i++) DIGITS['0123456789abcdef'.charCodeAt(i)] = i;

/** Whether `at` (from the text's start) is where a UUID's text has a dash: 8-4-4-4-12. */
const isUuidDash = (at: number): boolean => at === 8 || at === 13 || at === 18 || at === 23;

/**
 * The tag the UTF-8 text `bytes[start, start + length)` is packed under — {@link HEX_TEXT_TAG}
 * or {@link UUID_TEXT_TAG} — or 0 when it is neither hex digits nor a UUID.
 */
export function packedTextTag(bytes: Uint8Array, start: number, length: number): number {
  if (length === UUID_LENGTH && bytes[start + 8] === DASH) {
    for (let at = 0; at < UUID_LENGTH; at++) {
      const byte = bytes[start + at]!;
      if (isUuidDash(at) ? byte !== DASH : DIGITS[byte]! < 0) return 0;
    }
    return UUID_TEXT_TAG;
  }
  if (length < MIN_HEX_DIGITS || (length & 1) !== 0) return 0;
  for (let at = start; at < start + length; at++) if (DIGITS[bytes[at]!]! < 0) return 0;
  return HEX_TEXT_TAG;
}

/** How many bytes text packed under `tag` takes: {@link packedTextTag} said it is one. */
export function packedLength(tag: number, length: number): number {
  return tag === UUID_TEXT_TAG ? UUID_BYTES : length >>> 1;
}

/** Writes the bytes the text spells at `into[at]`, {@link packedLength} of them. */
export function packText(bytes: Uint8Array, start: number, length: number, into: Uint8Array, at: number): void {
  let to = at;
  for (let from = start; from < start + length; ) {
    if (bytes[from] === DASH) {
      from++;
      continue;
    }
    into[to++] = (DIGITS[bytes[from]!]! << 4) | DIGITS[bytes[from + 1]!]!;
    from += 2;
  }
}

/** The text a packed value under `tag` spells, or undefined when `tag` is not a packed-text tag or `bytes` cannot be one. */
export function unpackedText(tag: number, bytes: Uint8Array): string | undefined {
  if (tag !== HEX_TEXT_TAG && (tag !== UUID_TEXT_TAG || bytes.length !== UUID_BYTES)) return undefined;
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
  if (tag === HEX_TEXT_TAG) return hex;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
