/** The CBOR tags file format v1 defines (docs/format.md, "Values"). */

/** Tag of a reference to the chunk's string table. */
export const STRING_REF_TAG = 40100;
/** Tag of an AnyValue map, written as a flat [key, value, …] array. */
export const MAP_TAG = 40101;
/**
 * Tag of text made of lowercase hexadecimal digits, an even number of them, at least 16 (ids such
 * as trace, span and request ids), stored as the bytes they spell (v1.2, coded chunks only): half
 * the size, and bytes LZ4 cannot shrink further where it stores hex digits one byte each.
 */
export const HEX_TEXT_TAG = 40102;
/** Tag of a lowercase UUID in its 36-character text form, stored as its 16 bytes (v1.2, coded chunks only). */
export const UUID_TEXT_TAG = 40103;
