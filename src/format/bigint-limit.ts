/**
 * Bigints beyond the file format's bignum limit (docs/format.md, "Values"): the writer keeps one
 * within {@link MAX_BIGNUM_BYTES} exactly and replaces a larger one by a short text that says what
 * it was, e.g. `0x4000000000000000…0000000000000001 (2000001-bit bigint)`.
 *
 * The text is hexadecimal because hex digits come from the bits in one linear pass, while the
 * decimal digits of a bigint of millions of bits take V8 seconds (bench/bigint-cost.ts).
 */
import { MAX_BIGNUM_BYTES } from './file-format.ts';

/** Bits of a bignum's magnitude at the limit; a bigint in [-2^BITS, 2^BITS) fits (tag 3 stores −1 − n). */
const LIMIT_BITS = MAX_BIGNUM_BYTES * 8;
/** Hex digits kept at each end of a cut bigint: 64 bits, enough to tell two values apart by eye. */
const KEPT_HEX_DIGITS = 16;

/**
 * Whether `value` fits a bignum of at most {@link MAX_BIGNUM_BYTES}. Costs the same for any
 * size: `BigInt.asIntN` looks at the low bits only.
 */
export function fitsBignumLimit(value: bigint): boolean {
  return BigInt.asIntN(LIMIT_BITS + 1, value) === value;
}

/**
 * The text a bigint beyond the limit is stored as: sign, `0x`, its first and last 16 hex digits
 * around "…", and the bit length of its magnitude. Linear in the size of `value`.
 */
export function cutBigIntText(value: bigint): string {
  const negative = value < 0n;
  const hex = (negative ? -value : value).toString(16);
  const bits = hex.length * 4 - Math.clz32(Number.parseInt(hex[0]!, 16)) + 28;
  return `${negative ? '-' : ''}0x${hex.slice(0, KEPT_HEX_DIGITS)}…${hex.slice(-KEPT_HEX_DIGITS)} (${bits}-bit bigint)`;
}
