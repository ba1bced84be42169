/** The CBOR tags file format v1 defines (docs/format.md, "Values"). */

/** Tag of a reference to the chunk's string table. */
export const STRING_REF_TAG = 40100;
/** Tag of an AnyValue map, written as a flat [key, value, …] array. */
export const MAP_TAG = 40101;
