/**
 * Text that spells bytes — hexadecimal ids, UUIDs — stored as those bytes under a tag
 * (docs/format.md, "Values", v1.2): the writer packs it, the reader spells it again, and the text
 * round-trips exactly because only the lowercase spelling is packed.
 */
import { Tag } from './cbor.ts';
import { HEX_TEXT_TAG, UUID_TEXT_TAG } from './file-tags.ts';

/** Shorter hex text is left as text: a tag and a length cost more than packing saves. */
const MIN_HEX_DIGITS = 16;
const UUID_LENGTH = 36;
/** Where a UUID's text has its dashes: 8-4-4-4-12. */
const UUID_DASHES = [8, 13, 18, 23] as const;

/** The value of one lowercase hex digit, or -1. */
function digit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/** The UTF-8 text `bytes[start, start + length)` packed under its tag, or undefined when it is not hex digits or a UUID. */
export function packedText(bytes: Uint8Array, start: number, length: number): Tag | undefined {
  if (length === UUID_LENGTH && bytes[start + 8] === 0x2d) return packedUuid(bytes, start);
  if (length < MIN_HEX_DIGITS || (length & 1) !== 0) return undefined;
  const out = new Uint8Array(length >>> 1);
  for (let i = 0; i < out.length; i++) {
    const high = digit(bytes[start + 2 * i]!);
    const low = digit(bytes[start + 2 * i + 1]!);
    if ((high | low) < 0) return undefined;
    out[i] = (high << 4) | low;
  }
  return new Tag(out, HEX_TEXT_TAG);
}

function packedUuid(bytes: Uint8Array, start: number): Tag | undefined {
  const out = new Uint8Array(16);
  let at = start;
  for (let i = 0; i < 16; i++) {
    if (at - start === UUID_DASHES[0] || at - start === UUID_DASHES[1] || at - start === UUID_DASHES[2] || at - start === UUID_DASHES[3]) {
      if (bytes[at] !== 0x2d) return undefined;
      at++;
    }
    const high = digit(bytes[at]!);
    const low = digit(bytes[at + 1]!);
    if ((high | low) < 0) return undefined;
    out[i] = (high << 4) | low;
    at += 2;
  }
  return new Tag(out, UUID_TEXT_TAG);
}

/** The text a packed value under `tag` spells, or undefined when `tag` is not a packed-text tag or `bytes` cannot be one. */
export function unpackedText(tag: number, bytes: Uint8Array): string | undefined {
  if (tag !== HEX_TEXT_TAG && (tag !== UUID_TEXT_TAG || bytes.length !== 16)) return undefined;
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
  if (tag === HEX_TEXT_TAG) return hex;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
