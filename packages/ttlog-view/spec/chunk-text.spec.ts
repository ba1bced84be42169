/**
 * The text output written straight from a chunk's record cursor (chunk-text.ts) must be the text the
 * formatter writes for the records the reader decodes from the same chunk, byte for byte, and
 * must fail on exactly the chunks the reader fails on. Checked on a snapshot written by the real
 * processor, on hand-made chunks with what the writer rarely or never produces, and on random
 * byte changes to both.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { seededRandom } from '../../../spec/support/seeded-random.ts';
import { splitSnapshot } from '../../../spec/support/snapshot-chunks.ts';
import { createCborEncoder, Tag } from '../../../src/format/cbor.ts';
import { MAP_TAG, STRING_REF_TAG } from '../../../src/format/file-tags.ts';
import { ChunkRecords } from '../../../src/read/chunk-decoder.ts';
import { RecordCursor } from '../../../src/read/record-cursor.ts';
import { ChunkText } from '../src/chunk-text.ts';
import { type TextFormatOptions, TextFormatter } from '../src/format-text.ts';
import { LineBytes } from '../src/line-bytes.ts';
import type { SnapshotSource } from '../src/sources.ts';
import { RAW_CONTROL } from './support/hostile.ts';
import { at, TRACE_ORDER, writeServiceSnapshot } from './support/snapshots.ts';

const source = { label: 'svc/42' } as SnapshotSource;
const PLAIN: TextFormatOptions = { utc: true, color: false };
const COLORED: TextFormatOptions = { utc: false, color: true };
/** Whole trace ids, and a source column wider than the label. */
const WIDE: TextFormatOptions = { utc: true, color: true, wide: true, sourceWidth: 12 };

/** The chunk's text through the reader's records and TextFormatter, or 'fails'. */
function viaRecords(raw: Buffer, count: number, options: TextFormatOptions): string {
  const formatter = new TextFormatter(options);
  try {
    return new ChunkRecords(new RecordCursor(raw, count), Infinity)
      .next()
      .map((record) => `${formatter.format({ record, source })}\n`)
      .join('');
  } catch {
    return 'fails';
  }
}

/**
 * The chunk's text written straight from its bytes, `part` records at a time, after a line
 * already in the output; 'fails' when it throws (and then that line must be all there is).
 */
function direct(raw: Buffer, count: number, options: TextFormatOptions, part = Infinity): string {
  const out = new LineBytes(16);
  out.text('before\n');
  try {
    const chunk = new ChunkText(new RecordCursor(raw, count), new TextFormatter(options), source);
    do chunk.writeLines(out, part);
    while (chunk.remaining > 0);
  } catch {
    assert.is(out.takeText(), 'before\n', 'a failed chunk leaves nothing of itself');
    return 'fails';
  }
  const text = out.takeText();
  assert.ok(text.startsWith('before\n'));
  return text.slice('before\n'.length);
}

function assertSameText(raw: Buffer, count: number, name: string): string {
  const expected = viaRecords(raw, count, PLAIN);
  assert.is(direct(raw, count, PLAIN), expected, name);
  assert.is(direct(raw, count, COLORED), viaRecords(raw, count, COLORED), `${name}, colored`);
  assert.is(direct(raw, count, WIDE), viaRecords(raw, count, WIDE), `${name}, wide`);
  return expected;
}

const ref = (index: number) => new Tag(index, STRING_REF_TAG);
const map = (flat: unknown[]) => new Tag(flat, MAP_TAG);

interface HandRecord {
  readonly delta?: unknown;
  readonly severity?: unknown;
  readonly severityText?: unknown;
  readonly scope?: unknown;
  readonly body?: unknown;
  readonly attributes?: unknown;
  readonly trace?: unknown;
  readonly producer?: unknown;
  readonly extra?: readonly unknown[];
}

function handRecord(record: HandRecord, seq: number): unknown[] {
  return [
    seq,
    'delta' in record ? record.delta : 1_000,
    -5,
    record.severity ?? 9,
    'severityText' in record ? record.severityText : null,
    'scope' in record ? record.scope : 0,
    'body' in record ? record.body : ref(0),
    record.attributes ?? [],
    null,
    record.trace ?? null,
    0,
    record.producer ?? 0,
    0,
    ...(record.extra ?? []),
  ];
}

/** A chunk payload [baseSeconds, baseNanos, strings, scopes, records, …trailing]. */
function handChunk(strings: string[], records: HandRecord[], trailing: unknown[] = []): { raw: Buffer; count: number } {
  const scopes = [
    ['app', '1.0', null, null],
    ['', null, null, null],
  ];
  const payload = [1_773_500_966, 999_000_000, strings, scopes, records.map(handRecord), ...trailing];
  return { raw: Buffer.from(createCborEncoder().encode(payload)), count: records.length };
}

// 0 body, 1–8 keys, 9–12 values; 13 '10' and 14 '2' (integer-like), 15 a repeat of 'user'; filler up to index 299.
const STRINGS = [
  'request handled',
  'http.route',
  'status',
  'user',
  'note',
  'empty',
  'ratio',
  'big',
  'bytes',
  '/api/orders',
  'two words',
  'say "hi"',
  'é',
  '10',
  '2',
  'user',
];
while (STRINGS.length < 300) STRINGS.push(`filler-${STRINGS.length}`);

const CASES: Array<[string, HandRecord]> = [
  ['interned keys and values, small and wide integers', { attributes: [1, ref(9), 2, 200, 3, 'u17', 7, 70_000] }],
  ['values that need quotes, and nested ones', { attributes: [3, '', 4, 'a b', 5, 'x=y', 6, 'tab\there', 7, ref(10), 8, ref(11), 1, ref(12)] }],
  ['numbers that are not small counts', { attributes: [2, -3, 6, 0.25, 6, Number.NaN, 7, 12n, 7, 2n ** 70n] }],
  ['other values', { attributes: [2, true, 3, null, 4, undefined, 8, new Uint8Array([1, 2, 255]), 5, [1, 'a', [2]], 6, map([1, 'x', 'k', [true]])] }],
  ['non-ASCII text values', { attributes: [3, 'Zoë', 4, 'ok'] }],
  ['integer-like keys, which an object lists first', { attributes: [1, 'first', 13, 'ten', 14, 'two'] }],
  ['a key twice: the later value in the first place', { attributes: [3, 'a', 1, 'b', 3, 'c'] }],
  ['the same key text at two string indexes', { attributes: [3, 'a', 15, 'b'] }],
  ['__proto__ as a key', { attributes: ['__proto__', 'p', 1, 'q'] }],
  ['text keys and a key index past the table', { attributes: ['inline', 1, 9999, 2] }],
  ['keys and values at string indexes past 23 and 255', { body: ref(299), attributes: [40, ref(41), 299, ref(260)] }],
  ['a string reference past the table, and one around a non-integer', { body: ref(5000), attributes: [1, ref(7000), 2, new Tag('x', STRING_REF_TAG)] }],
  ['an odd-length attribute list', { attributes: [1, 'a', 2] }],
  ['attributes that are not an array', { attributes: 'none' }],
  ['more attributes than are written straight', { attributes: Array.from({ length: 40 }, (_, i) => [16 + i, i]).flat() }],
  ['no body', { body: undefined }],
  ['an inline body', { body: 'plain body' }],
  ['a body with a line feed', { body: 'line one\nline two' }],
  ['a body with a carriage return', { body: 'line one\rline two' }],
  ['a non-ASCII body', { body: 'naïve' }],
  ['a null body', { body: null }],
  ['a number body', { body: 42.5 }],
  ['a map body', { body: map([3, 'u1', 'n', 2]) }],
  ['a long body', { body: 'x'.repeat(300) }],
  ['severity outside 1-24 with its text', { severity: 0, severityText: 'custom' }],
  ['severity 30 with interned text', { severity: 30, severityText: ref(4) }],
  ['an unnamed scope', { scope: 1 }],
  ['no scope', { scope: null }],
  ['a scope index past the table', { scope: 9 }],
  ['another producer', { producer: 3 }],
  ['back to producer 0', { producer: 0 }],
  ['a producer that is not an integer', { producer: 'x' }],
  ['a trace context', { trace: [new Uint8Array(16).fill(7), new Uint8Array(8).fill(9), 1] }],
  ['a trace context of another thread', { trace: [Uint8Array.from({ length: 16 }, (_, i) => i * 17), new Uint8Array(8).fill(9), 0], producer: 2 }],
  ['a trace id of 2 bytes', { trace: [new Uint8Array([0xab, 0xcd]), new Uint8Array(8), 1] }],
  ['a trace id of 20 bytes', { trace: [new Uint8Array(20).fill(0xee), new Uint8Array(8), 1] }],
  ['a trace context with an item more', { trace: [new Uint8Array(16).fill(1), new Uint8Array(8), 1, 'more'] }],
  ['a trace id that is text', { trace: ['0af7651916cd43dd8448eb211c80319c', new Uint8Array(8), 1] }],
  ['a trace that is not an array', { trace: 'none' }],
  ['fields after the 13th', { extra: ['more', [1, 2]] }],
  ['a step back in time', { delta: -2_000_000_000 }],
  ['a step of more than 2^53 ns', { delta: 2n ** 60n }],
  ['the same nanosecond', { delta: 0 }],
  [
    'terminal-active characters in place',
    { severity: 0, severityText: '\u001b]0;t\u0007', body: 'a\u001b[2Jb', attributes: [3, '\u001b]0;t\u0007', 4, 'a\u007fb', 5, '\u009b2J', 6, 'x\u202ey'] },
  ],
  ['a terminal-active key in place', { attributes: ['k\u001bx', 'v'] }],
];

test('hand-made records: each written straight from the chunk as the formatter writes the decoded record', () => {
  for (const [name, record] of CASES) {
    const { raw, count } = handChunk(STRINGS, [{}, record, record, {}]);
    assert.is.not(assertSameText(raw, count, name), 'fails', name);
  }
  // All of them in one chunk, so that caches carry from record to record, and items after the records.
  const all = handChunk(
    STRINGS,
    CASES.map(([, record]) => record),
    ['trailing', [1]],
  );
  const text = assertSameText(all.raw, all.count, 'all cases in one chunk');
  assert.is.not(text, 'fails');
  assert.not.match(text, RAW_CONTROL, 'terminal-active characters are escaped on both ways');
});

test('a malformed record fails the whole chunk, leaving the output as it was', () => {
  const broken: Array<[string, HandRecord]> = [
    ['a time delta that is text', { delta: 'soon' }],
    ['a tag on a tag', { body: new Tag(new Tag(1, 5), 6) }],
  ];
  for (const [name, record] of broken) {
    const { raw, count } = handChunk(STRINGS, [{}, {}, record, {}]);
    assert.is(viaRecords(raw, count, PLAIN), 'fails', name);
    assert.is(direct(raw, count, PLAIN), 'fails', name);
  }
  const { raw, count } = handChunk(STRINGS, [{}, {}, {}]);
  assert.is(direct(raw.subarray(0, raw.length - 3), count, PLAIN), 'fails', 'a chunk cut short');
});

test('a chunk with more records than the writer puts in one is checked whole, then written a part at a time', () => {
  const records = Array.from({ length: 5000 }, (_, i): HandRecord => ({ attributes: [3, `u${i}`] }));
  const { raw, count } = handChunk(STRINGS, records);
  const text = assertSameText(raw, count, '5000 records');
  assert.is(text.split('\n').length, 5001);
  assert.is(direct(raw, count, PLAIN, 1000), text, 'in parts of 1000');
  // Damage at its very end fails it before a line is written: it may be written in parts.
  const last = handChunk(STRINGS, [...records.slice(0, 4999), { delta: 'soon' }]);
  assert.throws(() => new ChunkText(new RecordCursor(last.raw, last.count), new TextFormatter(PLAIN), source), /time delta/);
});

const directory = mkdtempSync(join(tmpdir(), 'ttlog-chunk-text-'));
const processorFile = await writeServiceSnapshot(directory, {
  service: 'svc',
  records: [
    {
      at: at(0),
      severityNumber: 9,
      body: 'request handled',
      attributes: { 'http.route': '/api/orders', status: 200, 'user.id': 'u1' },
      scope: 'http',
      scopeVersion: '1.0',
    },
    {
      at: at(0, 10),
      severityNumber: 9,
      body: 'request handled',
      attributes: { 'http.route': '/api/orders', status: 500, 'user.id': 'u2' },
      scope: 'http',
      scopeVersion: '1.0',
      trace: TRACE_ORDER,
    },
    {
      at: at(1),
      severityNumber: 17,
      severityText: 'ERROR',
      body: { message: 'boom', code: 7 },
      attributes: { 10: 'ten', 2: 'two', name: 'x' },
      scope: 'worker',
    },
    {
      at: at(2),
      severityNumber: 13,
      body: 'naïve\nsecond line',
      attributes: { 'latency.ms': 812.5, big: 2n ** 64n, list: ['a', 1, null], bytes: new Uint8Array([0, 255]), empty: '', spaced: 'a b' },
    },
    { at: at(1500), body: 'no severity', attributes: { ok: true, missing: undefined } },
    { at: at(1500), severityNumber: 30, severityText: 'CUSTOM', attributes: { 'user.id': 'Zoë' }, scope: '' },
  ],
});

test('a snapshot written by the processor: every chunk written straight from its bytes as through its records', () => {
  const chunks = splitSnapshot(readFileSync(processorFile)).chunks;
  let text = '';
  for (const chunk of chunks) text += assertSameText(chunk.raw, chunk.records.length, 'processor chunk');
  assert.is(text.split('\n').length - 1, 6);
  assert.ok(text.includes(' svc/42 0af76519 [http] request handled http.route=/api/orders status=500 '), 'the short trace id after the source');
});

test('random byte changes: written straight from the bytes and through the records alike, or failing alike', () => {
  const random = seededRandom(0x7e47);
  const originals = [
    handChunk(
      STRINGS,
      CASES.map(([, record]) => record),
    ),
    ...splitSnapshot(readFileSync(processorFile)).chunks.map((chunk) => ({ raw: chunk.raw, count: chunk.records.length })),
  ];
  let failed = 0;
  const trials = 600;
  for (let trial = 0; trial < trials; trial++) {
    const original = originals[trial % originals.length]!;
    const changed = Buffer.from(original.raw);
    const changes = 1 + Math.floor(random() * 3);
    for (let i = 0; i < changes; i++) changed[Math.floor(random() * changed.length)] = Math.floor(random() * 256);
    const expected = viaRecords(changed, original.count, PLAIN);
    assert.is(direct(changed, original.count, PLAIN), expected, `trial ${trial}`);
    if (expected === 'fails') failed++;
  }
  // Both outcomes occur, so the comparison covers chunks that decode and chunks that do not.
  assert.ok(failed > trials / 10 && failed < trials * 0.9, `${failed} of ${trials} changed chunks failed`);
});

test.after(() => rmSync(directory, { recursive: true, force: true }));

test.run();
