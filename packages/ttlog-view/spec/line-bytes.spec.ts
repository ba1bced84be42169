/** LineBytes: pieces of lines appended as UTF-8, whatever their length and characters. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LineBytes, utf8 } from '../src/line-bytes.ts';

test('text of any length and any characters comes out as it went in, across buffer growth', () => {
  const out = new LineBytes(8);
  const pieces = [
    '',
    'a',
    'plain ascii',
    'naïve',
    'Zoë says "hi"',
    '😀 emoji',
    'x'.repeat(63),
    'y'.repeat(64),
    `${'é'.repeat(40)}z`,
    'lone \ud800 surrogate',
    'z'.repeat(5000),
  ];
  for (const piece of pieces) out.text(piece);
  assert.is(out.takeText(), pieces.join('').replace('\ud800', '\ufffd'));
});

test('bytes, copies, digits and line feeds', () => {
  const out = new LineBytes(4);
  out.bytes(utf8('head'));
  const source = Buffer.from('0123456789'.repeat(20));
  out.spaceAndCopy(source, 2, 5);
  out.copy(source, 0, 100);
  for (const value of [0, 7, 10, 99, 1234567, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
    out.text(' ');
    out.digits(value);
  }
  out.lineFeed();
  assert.is(out.takeText(), `head 234${source.toString('latin1', 0, 100)} 0 7 10 99 1234567 4294967296 9007199254740991\n`);
});

test('replace and truncate work on what was written since the last take', () => {
  const out = new LineBytes(16);
  out.text('taken\n');
  assert.is(out.takeText(), 'taken\n');
  out.text('old head|body');
  out.replace(0, 'old head'.length, utf8('a much longer new head'));
  assert.is(out.length, 'a much longer new head|body'.length);
  const mark = out.length;
  out.text(' more');
  out.truncate(mark);
  out.replace(0, 'a much longer new head'.length, utf8('h'));
  assert.is(out.takeText(), 'h|body');
});

test.run();
