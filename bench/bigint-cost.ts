/**
 * Why bigints have a size limit (docs/format.md, "Values"; src/format/bigint-limit.ts): what a
 * bigint costs on its way into a snapshot and back, at the limit (8192 bits) and beyond it.
 * - writing: decimal digits (what a slot stores within the limit) against hex digits (what the
 *   text of a cut bigint is made from), and cbor-x's bignum encoding;
 * - reading: a bignum's bytes → bigint a byte at a time (shift and or) against through hex.
 *
 * Run: node --import tsx bench/bigint-cost.ts
 */
import { createCborEncoder } from '../src/format/cbor.ts';

const encoder = createCborEncoder();

/** Median milliseconds of `runs` calls of `work`. */
function time(work: () => unknown, runs: number): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    work();
    samples.push(performance.now() - start);
  }
  return samples.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

function shiftBytes(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

function viaHex(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex')}`);
}

const rows: Array<[string, number, string]> = [];
for (const bits of [8192, 65_536, 262_144, 2_000_000]) {
  const value = 2n ** BigInt(bits) - 1n;
  const runs = bits > 100_000 ? 3 : 21;
  rows.push(['decimal digits (toString())', bits, time(() => value.toString(), runs).toFixed(3)]);
  rows.push(['hex digits (toString(16))', bits, time(() => value.toString(16), runs).toFixed(3)]);
  // cbor-x shifts the bignum out a byte at a time: quadratic, so the largest size is left out.
  if (bits <= 262_144) rows.push(['cbor-x bignum encode', bits, time(() => encoder.encode(value), runs).toFixed(3)]);
  const bytes = Buffer.from(value.toString(16), 'hex');
  if (bits <= 262_144) rows.push(['bytes → bigint, a byte at a time', bits, time(() => shiftBytes(bytes), runs).toFixed(3)]);
  rows.push(['bytes → bigint, through hex', bits, time(() => viaHex(bytes), runs).toFixed(3)]);
}
console.log(`node ${process.version}`);
console.log('| operation | bits | median ms |\n|---|---:|---:|');
for (const [operation, bits, ms] of rows) console.log(`| ${operation} | ${bits} | ${ms} |`);
