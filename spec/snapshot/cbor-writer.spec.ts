/**
 * The snapshot encoder's CBOR writer (cbor-writer.ts) writes plain CBOR that cbor-x reads back
 * as the same values, in the fewest bytes the format allows: every number as an integer or the
 * shortest float that holds it exactly, bigints with an 8-byte argument or as bignums, and it
 * grows its buffer as it goes.
 */
import { decode } from 'cbor-x';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CborWriter } from '../../src/snapshot/cbor-writer.ts';
import { seededRandom } from '../support/seeded-random.ts';

function written(write: (out: CborWriter) => void): Buffer {
  const out = new CborWriter(4);
  write(out);
  return Buffer.from(out.bytes.subarray(0, out.length));
}

/** The width a number takes: its head byte's float kind, or 'int'. */
function widthOf(bytes: Buffer): string {
  return { 0xf9: 'half', 0xfa: 'single', 0xfb: 'double' }[bytes[0]!] ?? 'int';
}

test('every half-precision float is written as one, and reads back as the same number', () => {
  for (let bits = 0; bits < 0x10000; bits++) {
    const value = decode(Buffer.from([0xf9, bits >>> 8, bits & 0xff])) as number;
    const bytes = written((out) => out.number(value));
    assert.ok(Object.is(decode(bytes), value), `bits ${bits.toString(16)}: ${value}`);
    if (Number.isInteger(value) && !Object.is(value, -0)) assert.is(widthOf(bytes), 'int', String(value));
    else if (Number.isNaN(value)) assert.equal([...bytes], [0xf9, 0x7e, 0x00]);
    else assert.is(widthOf(bytes), 'half', `${value}`);
  }
});

test('other numbers take the shortest float that holds them exactly', () => {
  const cases: Array<[number, string]> = [
    [23.125, 'half'],
    [-0, 'half'],
    [2 ** -24, 'half'],
    [2 ** -25, 'single'],
    [65520, 'int'],
    [1.5 * 2 ** 20 + 0.5, 'single'],
    [2 ** 40, 'single'],
    [2 ** 32 + 1, 'double'],
    [-(2 ** 32) - 1, 'double'],
    [0.1, 'double'],
    [1 / 3, 'double'],
    [Number.MIN_VALUE, 'double'],
    [2 ** -149, 'single'],
    [Number.MAX_VALUE, 'double'],
    [Number.POSITIVE_INFINITY, 'half'],
  ];
  for (const [value, width] of cases) {
    const bytes = written((out) => out.number(value));
    assert.ok(Object.is(decode(bytes), value), String(value));
    assert.is(widthOf(bytes), width, String(value));
  }
  const random = seededRandom(7);
  for (let i = 0; i < 20_000; i++) {
    const value = (random() - 0.5) * 2 ** Math.floor(random() * 80 - 40);
    for (const candidate of [value, Math.fround(value), Math.round(value * 64) / 64]) {
      assert.ok(Object.is(decode(written((out) => out.number(candidate))), candidate), String(candidate));
    }
  }
});

test('integers: the shortest head from 0 to 2³² − 1 and down to −2³²; bigints 8 bytes or a bignum', () => {
  for (const value of [0, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, -1, -24, -25, -256, -257, -(2 ** 32)]) {
    const bytes = written((out) => out.number(value));
    assert.is(decode(bytes), value);
    assert.is(widthOf(bytes), 'int', String(value));
  }
  assert.equal([...written((out) => out.number(24))], [0x18, 24]);
  assert.equal([...written((out) => out.number(-(2 ** 32)))], [0x3a, 0xff, 0xff, 0xff, 0xff]);
  for (const value of [0n, 5n, -5n, 2n ** 64n - 1n, -(2n ** 64n) + 1n, 2n ** 64n, -(2n ** 64n), 2n ** 200n + 12345n, -(3n ** 150n)]) {
    const bytes = written((out) => out.bigint(value));
    assert.is(BigInt(decode(bytes) as bigint | number), value, String(value));
  }
  assert.equal([...written((out) => out.bigint(5n))], [0x1b, 0, 0, 0, 0, 0, 0, 0, 5]);
});

test('strings, arrays and tags read back through cbor-x, the buffer growing as needed', () => {
  const long = Buffer.from('x'.repeat(100_000));
  const bytes = written((out) => {
    out.array(4);
    out.text('ünïcödé');
    out.utf8(long, 0, long.length);
    out.tag(40101);
    out.array(0);
    out.byteString(long, 10, 30);
  });
  const [text, longText, tagged, raw] = decode(bytes) as [string, string, { tag: number; value: unknown[] }, Uint8Array];
  assert.is(text, 'ünïcödé');
  assert.is(longText, long.toString());
  assert.is(tagged.tag, 40101);
  assert.equal(tagged.value, []);
  assert.is(raw.length, 20);
});

test.run();
