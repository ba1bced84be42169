/**
 * 64-bit event counters on a shared Int32Array.
 *
 * `Atomics.add` on a BigInt64Array returns a heap-allocated BigInt on every call, which the hot
 * path cannot afford. So a counter is two Int32 words: `low` counts modulo 2^32 and `halfLaps`
 * counts completed blocks of 2^31. The producer that takes the last value of a half-lap bumps
 * `halfLaps` right after; a reader that catches it in between sees a `halfLaps` one behind, which
 * the parity of bit 31 of `low` reveals and corrects. The total is exact as long as that one
 * producer is not stalled for 2^31 further increments.
 */

const HALF_LAP_MASK = 0x7fffffff;
const HALF_LAP = 2 ** 31;

/** Adds one and returns the previous low 32 bits as an unsigned number. */
export function incrementWide(words: Int32Array, lowIndex: number): number {
  const previous = Atomics.add(words, lowIndex, 1) >>> 0;
  if ((previous & HALF_LAP_MASK) === HALF_LAP_MASK) Atomics.add(words, lowIndex + 1, 1);
  return previous;
}

/** Reads the full count (exact up to 2^53). */
export function readWide(words: Int32Array, lowIndex: number): number {
  const halfLaps = Atomics.load(words, lowIndex + 1) >>> 0;
  const low = Atomics.load(words, lowIndex) >>> 0;
  const lagging = (low >>> 31) ^ (halfLaps & 1);
  return (halfLaps + lagging) * HALF_LAP + (low & HALF_LAP_MASK);
}
