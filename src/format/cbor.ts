/**
 * cbor-x configured for ttlog files: plain CBOR that any decoder reads (no cbor-x record or
 * packing extensions), byte strings untagged, floats always 64-bit. cbor-x keeps encoder state per
 * instance, so each writer or reader makes its own. cbor-x writes a bigint with an 8-byte argument
 * (or as a bignum, tags 2/3, beyond 64 bits) and a number never so, which keeps the two apart.
 */
import { addExtension, Decoder, Encoder, Tag } from 'cbor-x';

/** A cbor-x encoder for the file's CBOR: plain maps and arrays, untagged byte strings, float64s kept whole, no shared structures. */
export function createCborEncoder(): Encoder {
  return new Encoder({ useRecords: false, tagUint8Array: false, useFloat32: 0, pack: false, structuredClone: false });
}

/** A cbor-x decoder for the file's CBOR: maps become plain objects. */
export function createCborDecoder(): Decoder {
  return new Decoder({ useRecords: false, mapsAsObjects: true });
}

export { Tag };

/**
 * Stands for the number −0 in a value given to a ttlog encoder, which writes it as the float64
 * −0 (`fb 80 00 00 00 00 00 00 00`). cbor-x writes the number −0 as the integer 0: its integer
 * test, `value >>> 0 === value`, holds for −0.
 */
const NEGATIVE_ZERO: object = Object.freeze(new (class NegativeZero {})());

// cbor-x keeps extensions in module state; this one matches only NEGATIVE_ZERO, so another cbor-x
// user in the process sees no change. It has no tag (cbor-x's typings want one, and a decoder,
// which it does not need): `alwaysUseFloat`, a documented encoder option read on each number,
// makes the encoder's own float path write the −0, and is put back at once.
const negativeZeroExtension = {
  Class: NEGATIVE_ZERO.constructor,
  encode(this: { alwaysUseFloat?: boolean | undefined }, _value: object, encode: (value: unknown) => void): void {
    const alwaysUseFloat = this.alwaysUseFloat;
    this.alwaysUseFloat = true;
    try {
      encode(-0);
    } finally {
      this.alwaysUseFloat = alwaysUseFloat;
    }
  },
};
addExtension(negativeZeroExtension as unknown as Parameters<typeof addExtension>[0]);

/** A file value for `value`: the number itself, or {@link NEGATIVE_ZERO} for −0. */
export function fileNumber(value: number): number | object {
  return value === 0 && 1 / value < 0 ? NEGATIVE_ZERO : value;
}
