import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { incrementWide, readWide } from '../../src/record/wide-counter.ts';

const LOW = 4;

/** A shared counter (at words LOW, LOW + 1) set to `value`, as the producers would have left it. */
function counterAt(value: number): Int32Array {
  const words = new Int32Array(new SharedArrayBuffer(32));
  words[LOW] = (value % 2 ** 32) | 0;
  words[LOW + 1] = Math.floor(value / 2 ** 31);
  return words;
}

test('counts from zero', () => {
  const words = new Int32Array(new SharedArrayBuffer(32));
  assert.is(readWide(words, LOW), 0);
  for (let i = 0; i < 5; i++) assert.is(incrementWide(words, LOW), i, 'returns the previous value');
  assert.is(readWide(words, LOW), 5);
  assert.is(words[LOW - 1], 0);
  assert.is(words[LOW + 2], 0, 'neighbouring words are untouched');
});

test('crosses 2^31: the low word turns negative as an Int32 and halfLaps takes over', () => {
  const words = counterAt(2 ** 31 - 2);
  assert.is(readWide(words, LOW), 2 ** 31 - 2);
  assert.is(incrementWide(words, LOW), 2 ** 31 - 2);
  assert.is(readWide(words, LOW), 2 ** 31 - 1);
  assert.is(words[LOW + 1], 0);
  assert.is(incrementWide(words, LOW), 2 ** 31 - 1);
  assert.is(words[LOW], -(2 ** 31), 'bit 31 of the low word is set');
  assert.is(words[LOW + 1], 1, 'the producer that took the last value of the half-lap bumped halfLaps');
  assert.is(readWide(words, LOW), 2 ** 31);
  assert.is(incrementWide(words, LOW), 2 ** 31, 'the previous low 32 bits, unsigned');
  assert.is(readWide(words, LOW), 2 ** 31 + 1);
});

test('crosses 2^32: the low word wraps to 0 and the count goes on', () => {
  const words = counterAt(2 ** 32 - 2);
  assert.is(readWide(words, LOW), 2 ** 32 - 2);
  assert.is(incrementWide(words, LOW), 2 ** 32 - 2);
  assert.is(incrementWide(words, LOW), 2 ** 32 - 1);
  assert.is(words[LOW], 0);
  assert.is(words[LOW + 1], 2);
  assert.is(readWide(words, LOW), 2 ** 32);
  assert.is(incrementWide(words, LOW), 0, 'returns the low 32 bits (what a ring slot index needs)');
  assert.is(readWide(words, LOW), 2 ** 32 + 1);
});

test('a reader that sees the low word before halfLaps was bumped still reads the exact count', () => {
  // Just past 2^31: low has bit 31 set, halfLaps still 0 (the bumping producer has not run yet).
  const past31 = counterAt(2 ** 31 + 3);
  past31[LOW + 1] = 0;
  assert.is(readWide(past31, LOW), 2 ** 31 + 3);

  // Just past 2^32: low wrapped to a small number, halfLaps still 1 instead of 2.
  const past32 = counterAt(2 ** 32 + 3);
  past32[LOW + 1] = 1;
  assert.is(readWide(past32, LOW), 2 ** 32 + 3);

  // Far along: 2^40 + 2^31 + 7 with halfLaps lagging by one.
  const far = counterAt(2 ** 40 + 2 ** 31 + 7);
  assert.is(readWide(far, LOW), 2 ** 40 + 2 ** 31 + 7);
  far[LOW + 1] = far[LOW + 1]! - 1;
  assert.is(readWide(far, LOW), 2 ** 40 + 2 ** 31 + 7);

  // The lagging producer then bumps halfLaps: the count reads the same, no jump of 2^31.
  past31[LOW + 1] = 1;
  assert.is(readWide(past31, LOW), 2 ** 31 + 3);
});

test('every increment across both boundaries reads back exactly, also with halfLaps lagging', () => {
  for (const start of [2 ** 31 - 3, 2 ** 32 - 3, 3 * 2 ** 31 - 3, 2 ** 45 - 3]) {
    const words = counterAt(start);
    for (let expected = start; expected < start + 6; expected++) {
      assert.is(readWide(words, LOW), expected, `at ${expected}`);
      const halfLaps = words[LOW + 1]!;
      // The reader's view between the producer's two Atomics.adds: low advanced, halfLaps not yet.
      assert.is(incrementWide(words, LOW), expected % 2 ** 32);
      if (words[LOW + 1] !== halfLaps) {
        words[LOW + 1] = halfLaps;
        assert.is(readWide(words, LOW), expected + 1, `lagging at ${expected + 1}`);
        words[LOW + 1] = halfLaps + 1;
      }
    }
    assert.is(readWide(words, LOW), start + 6);
  }
});

test('exact up to 2^53', () => {
  const words = counterAt(2 ** 53 - 1);
  assert.is(readWide(words, LOW), Number.MAX_SAFE_INTEGER);
});

test.run();
