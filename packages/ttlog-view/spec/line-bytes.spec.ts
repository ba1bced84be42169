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

test('room written first and filled later: ASCII text and hex digits over bytes already written, after a take too', () => {
  const out = new LineBytes(8);
  out.text('taken\n');
  assert.is(out.takeText(), 'taken\n');
  out.text('id=');
  const room = out.length;
  out.text(' '.repeat(8));
  out.text(' rest of the line, long enough to move the buffer');
  out.asciiAt(room, '0af7651916cd', 4);
  const bytes = Uint8Array.from([0x00, 0x09, 0x7f, 0xa0, 0xff, 0x42]);
  out.hexAt(room + 4, bytes, 2, 4);
  assert.is(out.takeText(), 'id=0af77fa0 rest of the line, long enough to move the buffer');
  const all = new LineBytes(64);
  all.text(' '.repeat(12));
  all.hexAt(0, bytes, 0, bytes.length);
  assert.is(all.takeText(), Buffer.from(bytes).toString('hex'));
});

test.run();
