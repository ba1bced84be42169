/**
 * cbor-x configured for ttlog files: plain CBOR that any decoder reads (no cbor-x record or
 * packing extensions), byte strings untagged, floats always 64-bit. cbor-x keeps encoder state per
 * instance, so each writer or reader makes its own. cbor-x writes a bigint with an 8-byte argument
 * (or as a bignum, tags 2/3, beyond 64 bits) and a number never so, which keeps the two apart.
 */
import { Decoder, Encoder, Tag } from 'cbor-x';

export function createCborEncoder(): Encoder {
  return new Encoder({ useRecords: false, tagUint8Array: false, useFloat32: 0, pack: false, structuredClone: false });
}

export function createCborDecoder(): Decoder {
  return new Decoder({ useRecords: false, mapsAsObjects: true });
}

export { Tag };
