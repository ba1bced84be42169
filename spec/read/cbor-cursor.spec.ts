/**
 * The CBOR cursor's two walks must agree: a chunk is checked with skip() before its records are
 * decoded a slice at a time with value(), so every item skip() passes has to decode, and every
 * item skip() rejects has to fail to decode. Checked on hand-made items and on random bytes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CborCursor } from '../../src/read/cbor-cursor.ts';
import { seededRandom } from '../support/seeded-random.ts';

/** Where each walk ends on `bytes` from the start, or 'fails'. */
class Walks extends CborCursor {
  decoded(): unknown {
    this.pos = 0;
    return this.value();
  }

  decodeEnd(): number | 'fails' {
    return this.walk(() => this.value());
  }

  skipEnd(): number | 'fails' {
    return this.walk(() => this.skip());
  }

  private walk(step: () => unknown): number | 'fails' {
    this.pos = 0;
    try {
      step();
      return this.pos;
    } catch {
      return 'fails';
    }
  }
}

function ends(bytes: number[]): { decoded: number | 'fails'; skipped: number | 'fails' } {
  return { decoded: new Walks(Buffer.from(bytes)).decodeEnd(), skipped: new Walks(Buffer.from(bytes)).skipEnd() };
}

test('skip() and value() agree on hand-made items', () => {
  const cases: Array<[string, number[], number | 'fails']> = [
    ['small integer', [0x05], 1],
    ['4-byte integer', [0x1a, 0, 0, 1, 0], 5],
    ['integer cut short', [0x1a, 0, 0], 'fails'],
    ['reserved length', [0x1c], 'fails'],
    ['simple value 28 (unassigned, read as nothing)', [0xfc], 1],
    ['definite array', [0x82, 0x01, 0x02], 3],
    ['array longer than the payload', [0x83, 0x01, 0x02], 'fails'],
    ['map with a key and no value', [0xa1, 0x01], 'fails'],
    ['map claiming 2^32 pairs', [0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0xff], 'fails'],
    ['indefinite array', [0x9f, 0x01, 0x02, 0xff], 4],
    ['empty indefinite array', [0x9f, 0xff], 2],
    ['indefinite map', [0xbf, 0x61, 0x61, 0x01, 0xff], 5],
    ['nested indefinite arrays', [0x9f, 0x9f, 0xff, 0x01, 0xff], 5],
    ['indefinite array without its break', [0x9f, 0x01], 'fails'],
    ['break inside a definite array', [0x82, 0x01, 0xff], 'fails'],
    ['break alone', [0xff], 'fails'],
    ['tag standing before a break', [0x9f, 0xc1, 0xff], 'fails'],
    ['tag on a tag', [0xc1, 0xc1, 0x00], 'fails'],
    ['string reference', [0xd9, 0x9c, 0xa4, 0x00], 4],
    ['indefinite text of text parts', [0x7f, 0x61, 0x61, 0x62, 0x62, 0x63, 0xff], 7],
    ['indefinite text with a byte-string part', [0x7f, 0x41, 0x00, 0xff], 'fails'],
    ['indefinite bytes of byte parts', [0x5f, 0x41, 0x00, 0xff], 4],
    ['indefinite bytes with a text part', [0x5f, 0x61, 0x00, 0xff], 'fails'],
    ['indefinite text with an indefinite part', [0x7f, 0x7f, 0x61, 0x61, 0xff, 0xff], 'fails'],
    ['half float', [0xf9, 0x3c, 0x00], 3],
    ['text longer than the payload', [0x65, 0x61], 'fails'],
  ];
  for (const [name, bytes, expected] of cases) assert.equal(ends(bytes), { decoded: expected, skipped: expected }, name);
});

test('skip() and value() agree on nesting at the depth limit', () => {
  const nested = (depth: number) => [...Array(depth).fill(0x81), 0x00];
  assert.equal(ends(nested(64)), { decoded: 65, skipped: 65 });
  assert.equal(ends(nested(65)), { decoded: 'fails', skipped: 'fails' });
  const indefinite = (depth: number) => [...Array(depth).fill(0x9f), ...Array(depth).fill(0xff)];
  assert.equal(ends(indefinite(64)), { decoded: 128, skipped: 128 });
  assert.equal(ends(indefinite(65)), { decoded: 'fails', skipped: 'fails' });
});

test('skip() and value() agree on random bytes', () => {
  // Heads of every kind, biased towards containers, tags, breaks and short lengths, so that most
  // inputs are nearly well-formed and the interesting branches are reached.
  const heads = [
    0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1f, 0x20, 0x38, 0x3f, 0x40, 0x41, 0x42, 0x58, 0x5f, 0x60, 0x61, 0x62, 0x78, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x98,
    0x9f, 0xa0, 0xa1, 0xa2, 0xb8, 0xbf, 0xc1, 0xc2, 0xd9, 0xf4, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xff,
  ];
  const random = seededRandom(0xc0b0);
  let decoded = 0;
  for (let trial = 0; trial < 20_000; trial++) {
    const length = 1 + Math.floor(random() * 12);
    const bytes = Array.from({ length }, () => (random() < 0.75 ? heads[Math.floor(random() * heads.length)]! : Math.floor(random() * 256)));
    const { decoded: decodeEnd, skipped } = ends(bytes);
    if (decodeEnd !== skipped) assert.unreachable(`${Buffer.from(bytes).toString('hex')}: value() ${decodeEnd}, skip() ${skipped}`);
    if (decodeEnd !== 'fails') decoded++;
  }
  // Both outcomes are common, so the agreement covers items that decode and items that do not.
  assert.ok(decoded > 4000 && decoded < 16_000, `${decoded} of 20000 decoded`);
});

/** Tag 2 (or 3) around a definite byte string of `length` bytes, all `fill`, with a 2- or 4-byte length. */
function bignumItem(length: number, fill = 0xff, tag = 0xc2): number[] {
  const head = length < 0x10000 ? [0x59, length >> 8, length & 0xff] : [0x5a, length >>> 24, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff];
  return [tag, ...head, ...Array<number>(length).fill(fill)];
}

test('skip() and value() agree on bignums, and both refuse one beyond the limit', () => {
  const part = (length: number) => [0x59, length >> 8, length & 0xff, ...Array<number>(length).fill(1)];
  const indefinite = (first: number, second: number) => [0xc2, 0x5f, ...part(first), ...part(second), 0xff];
  const cases: Array<[string, number[], number | 'fails']> = [
    ['empty bignum', [0xc2, 0x40], 2],
    ['bignum at the limit', bignumItem(1024), 1028],
    ['negative bignum at the limit', bignumItem(1024, 0xff, 0xc3), 1028],
    ['bignum one byte past the limit', bignumItem(1025), 'fails'],
    ['negative bignum one byte past the limit', bignumItem(1025, 0xff, 0xc3), 'fails'],
    ['bignum past the limit under a 2-byte tag head', [0xd8, 0x02, ...bignumItem(1025).slice(1)], 'fails'],
    ['bignum past the limit, cut short', bignumItem(1025).slice(0, 100), 'fails'],
    ['indefinite bignum at the limit', indefinite(1000, 24), 1033],
    ['indefinite bignum past the limit', indefinite(1000, 25), 'fails'],
    ['bignum past the limit inside an array', [0x82, 0x01, ...bignumItem(1025)], 'fails'],
    ['tag 2 on text (no bignum: an absent value)', [0xc2, 0x61, 0x61], 3],
    ['a long byte string under another tag', [0xc4, ...bignumItem(2000).slice(1)], 2004],
  ];
  for (const [name, bytes, expected] of cases) assert.equal(ends(bytes), { decoded: expected, skipped: expected }, name);
});

test('bignums decode to their value; a 256 KiB one is refused, not decoded', () => {
  const decode = (bytes: number[]) => new Walks(Buffer.from(bytes)).decoded();
  assert.is(decode([0xc2, 0x40]), 0n);
  assert.is(decode([0xc2, 0x42, 0x01, 0x00]), 256n);
  assert.is(decode([0xc3, 0x42, 0x01, 0x00]), -257n);
  assert.is(decode([0xc2, 0x43, 0x00, 0x00, 0x05]), 5n, 'leading zero bytes');
  assert.is(decode(bignumItem(1024)), 2n ** 8192n - 1n);
  assert.is(decode(bignumItem(1024, 0xff, 0xc3)), -(2n ** 8192n));
  assert.is(decode(bignumItem(1024, 0x5a)), BigInt(`0x${'5a'.repeat(1024)}`));
  // The size of a crafted file that, decoded a byte at a time, held a reader for minutes.
  assert.throws(() => decode(bignumItem(256 * 1024)), /bignum longer than 1024 bytes/);
});

test.run();
