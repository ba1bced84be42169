import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tag } from '../../src/format/cbor.ts';
import { MAP_TAG, STRING_REF_TAG } from '../../src/format/file-tags.ts';
import { readSnapshot, type Snapshot, SnapshotExporter, TTLogProcessor, type TTLogProcessorOptions } from '../../src/index.ts';
import { InternKind, KEY_POSITIONS, readInternEntry, valuePrint } from '../../src/record/intern-table.ts';
import { Header, openRingBuffer, type RingViews } from '../../src/record/ring-layout.ts';
import { otel } from '../support/otel.ts';
import { assembleSnapshot, splitSnapshot } from '../support/snapshot-chunks.ts';

interface Logger {
  emit(record: never): void;
}

function harness(options: TTLogProcessorOptions = {}) {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-'));
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory, serviceName: 'intern' }), ...options });
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  const logger = provider.getLogger('intern-scope', '1.0.0') as unknown as Logger;
  let clock = 0;
  return {
    processor,
    ring: openRingBuffer(processor.handle.buffer),
    emit(record: Record<string, unknown>, into: Logger = logger) {
      clock++;
      into.emit({ timestamp: [1_800_000_000, clock], ...record } as never);
    },
    async snapshot(): Promise<Snapshot> {
      return readSnapshot(await processor.snapshot());
    },
    cleanup: () => rmSync(directory, { recursive: true, force: true }),
  };
}

/** Every published entry of the ring's intern table, by id. */
function internEntries(ring: RingViews): Map<number, string> {
  const entries = new Map<number, string>();
  const claimed = Math.min(Atomics.load(ring.words, Header.InternNextId), ring.internCapacity);
  for (let id = 0; id < claimed; id++) {
    const entry = readInternEntry(ring, id);
    if (entry !== undefined) entries.set(id, entry.kind === InternKind.Text ? entry.content.toString('utf8') : `<scope ${entry.content.length} bytes>`);
  }
  return entries;
}

function internedTexts(ring: RingViews): string[] {
  return [...internEntries(ring).values()].filter((text) => !text.startsWith('<scope'));
}

test('keys, severity texts and event names are interned on first sight, values on their second', async () => {
  const h = harness();
  try {
    h.emit({ severityText: 'INFO', eventName: 'cart.updated', body: 'body text', attributes: { 'http.method': 'GET', status: 'ok' } });
    assert.equal(internedTexts(h.ring).sort(), ['INFO', 'cart.updated', 'http.method', 'status']);
    assert.ok(
      [...internEntries(h.ring).values()].some((text) => text.startsWith('<scope')),
      'the scope is interned',
    );
    h.emit({ severityText: 'INFO', eventName: 'cart.updated', body: 'body text', attributes: { 'http.method': 'GET', status: 'ok' } });
    assert.equal(internedTexts(h.ring).sort(), ['GET', 'INFO', 'body text', 'cart.updated', 'http.method', 'ok', 'status']);
    h.emit({ severityText: 'INFO', body: 'body text', attributes: { 'http.method': 'GET', status: 'ok' } });
    assert.is(internedTexts(h.ring).length, 7, 'nothing new on the third sight');

    const snapshot = await h.snapshot();
    assert.is(snapshot.records.length, 3);
    for (const record of snapshot.records) {
      assert.is(record.severityText, 'INFO');
      assert.is(record.body, 'body text');
      assert.equal(record.attributes, { 'http.method': 'GET', status: 'ok' });
      assert.equal(record.scope, { name: 'intern-scope', version: '1.0.0' });
    }
    assert.is(snapshot.records[0]!.eventName, 'cart.updated');
    assert.not.ok('eventName' in snapshot.records[2]!);
  } finally {
    h.cleanup();
  }
});

test('values longer than maxInternedValueLength are never interned', async () => {
  const h = harness({ maxInternedValueLength: 8 });
  try {
    for (let i = 0; i < 3; i++) h.emit({ body: 'exactly8', attributes: { long: 'nine chars', short: 'tiny' } });
    const texts = internedTexts(h.ring);
    assert.ok(texts.includes('exactly8'));
    assert.ok(texts.includes('tiny'));
    assert.not.ok(texts.includes('nine chars'));
    const snapshot = await h.snapshot();
    assert.equal(
      snapshot.records.map((record) => record.attributes.long),
      ['nine chars', 'nine chars', 'nine chars'],
    );
  } finally {
    h.cleanup();
  }
});

test('high-cardinality values do not fill the table', async () => {
  const h = harness({ capacity: 8192 });
  try {
    const statuses = ['ok', 'error', 'retry'];
    for (let i = 0; i < 6000; i++) {
      h.emit({ body: `request ${i} handled`, attributes: { 'request.id': `req-${i.toString(36)}-${(i * 7919) % 10007}`, status: statuses[i % 3] } });
    }
    const texts = internedTexts(h.ring);
    assert.equal(texts.sort(), ['error', 'ok', 'request.id', 'retry', 'status']);
    assert.ok(Atomics.load(h.ring.words, Header.InternNextId) <= 6, 'a handful of ids claimed (5 texts and the scope)');
    const snapshot = await h.snapshot();
    assert.is(snapshot.records.length, 6000);
    snapshot.records.forEach((record, i) => {
      assert.is(record.body, `request ${i} handled`);
      assert.is(record.attributes['request.id'], `req-${i.toString(36)}-${(i * 7919) % 10007}`);
      assert.is(record.attributes.status, statuses[i % 3]);
    });
  } finally {
    h.cleanup();
  }
});

test('the table is bounded by internCapacity: past it strings go inline and records still round-trip', async () => {
  const h = harness({ internCapacity: 4 });
  try {
    const attributes = (i: number) => Object.fromEntries(Array.from({ length: 20 }, (_, k) => [`key.${k}`, `value ${(i + k) % 3}`]));
    for (let i = 0; i < 30; i++) h.emit({ severityText: `LEVEL${i % 4}`, eventName: 'bounded', body: `body ${i % 2}`, attributes: attributes(i) });
    const entries = internEntries(h.ring);
    assert.is(entries.size, 4);
    assert.equal([...entries.keys()], [0, 1, 2, 3]);
    const snapshot = await h.snapshot();
    assert.is(snapshot.records.length, 30);
    snapshot.records.forEach((record, i) => {
      assert.is(record.severityText, `LEVEL${i % 4}`);
      assert.is(record.eventName, 'bounded');
      assert.is(record.body, `body ${i % 2}`);
      assert.equal(record.attributes, attributes(i));
      assert.equal(record.scope, { name: 'intern-scope', version: '1.0.0' });
    });
  } finally {
    h.cleanup();
  }
});

test('with no intern table at all, strings and scopes are carried inline', async () => {
  const h = harness({ internCapacity: 0, internBytes: 0 });
  try {
    const logger = new otel.LoggerProvider({ processors: [h.processor as never] }).getLogger('inline-scope', '2.0.0', {
      schemaUrl: 'https://example.com/schema',
      attributes: { team: 'payments' },
    }) as unknown as Logger;
    for (let i = 0; i < 5; i++) h.emit({ severityText: 'WARN', body: 'repeated', attributes: { key: 'repeated' } }, logger);
    assert.is(internEntries(h.ring).size, 0);
    const snapshot = await h.snapshot();
    assert.is(snapshot.records.length, 5);
    for (const record of snapshot.records) {
      assert.is(record.severityText, 'WARN');
      assert.is(record.body, 'repeated');
      assert.equal(record.attributes, { key: 'repeated' });
      assert.equal(record.scope, { name: 'inline-scope', version: '2.0.0', schemaUrl: 'https://example.com/schema', attributes: { team: 'payments' } });
    }
  } finally {
    h.cleanup();
  }
});

test('the table is bounded by internBytes: entries never pass the byte budget', async () => {
  const h = harness({ internBytes: 40 });
  try {
    const keys = Array.from({ length: 12 }, (_, k) => `attribute.key.${k}`);
    for (let i = 0; i < 4; i++) h.emit({ body: 'x', attributes: Object.fromEntries(keys.map((key) => [key, i])) });
    let bytes = 0;
    for (let id = 0; id < h.ring.internCapacity; id++) bytes += readInternEntry(h.ring, id)?.content.length ?? 0;
    assert.ok(bytes <= 40, `${bytes} bytes interned`);
    assert.ok(internEntries(h.ring).size >= 1);
    const snapshot = await h.snapshot();
    for (const [i, record] of snapshot.records.entries()) assert.equal(record.attributes, Object.fromEntries(keys.map((key) => [key, i])));
  } finally {
    h.cleanup();
  }
});

test('one oversized key is carried inline and does not use up the table for the keys after it', async () => {
  const h = harness({ internBytes: 4096, maxRecordBytes: 64 * 1024 });
  try {
    const huge = 'k'.repeat(10_000);
    h.emit({ body: 'big key', attributes: { [huge]: 1 } });
    h.emit({ body: 'after', attributes: { 'normal.key': 2 } });
    const texts = internedTexts(h.ring);
    assert.ok(texts.includes('normal.key'), 'later keys are still interned');
    assert.not.ok(texts.includes(huge));
    const snapshot = await h.snapshot();
    assert.equal(
      snapshot.records.map((record) => record.attributes),
      [{ [huge]: 1 }, { 'normal.key': 2 }],
    );
  } finally {
    h.cleanup();
  }
});

test('ids are never ambiguous: strings with equal hashes and two producers sharing one table', async () => {
  const h = harness();
  try {
    // Equal Java-style hash codes, and equal length/first/middle/last characters.
    const lookalikes = ['Aa', 'BB', 'AaAa', 'BBBB', 'AaBB', 'BBAa', 'a1xb9z', 'a2xb8z', 'a3xb7z'];
    const worker = TTLogProcessor.attach(h.processor.handle);
    const workerLogger = new otel.LoggerProvider({ processors: [worker as never] }).getLogger('intern-scope', '1.0.0') as unknown as Logger;
    const record = (i: number) => {
      const word = lookalikes[i % lookalikes.length]!;
      return { severityText: word, body: word, attributes: { [word]: word, [`${word}!`]: lookalikes[(i + 1) % lookalikes.length] } };
    };
    for (let i = 0; i < 60; i++) h.emit({ ...record(i), attributes: { ...record(i).attributes, i } }, i % 2 === 0 ? undefined : workerLogger);
    const before = internEntries(h.ring);
    const snapshot = await h.snapshot();
    assert.is(snapshot.records.length, 60);
    for (const read of snapshot.records) {
      const i = read.attributes.i as number;
      const expected = record(i);
      assert.is(read.severityText, expected.severityText);
      assert.is(read.body, expected.body);
      assert.equal(read.attributes, { ...expected.attributes, i });
      assert.is(read.producer, i % 2 === 0 ? 0 : 1);
    }
    // Both producers interned the lookalikes: duplicates across producers, but never one id for two strings.
    const texts = [...before.values()];
    for (const word of lookalikes) assert.ok(texts.filter((text) => text === word).length <= 2, word);
    // An id keeps its meaning while the table grows.
    for (let i = 0; i < 50; i++) h.emit({ body: `more ${i % 5}`, attributes: { [`late.${i % 7}`]: i } });
    const after = internEntries(h.ring);
    for (const [id, text] of before) assert.is(after.get(id), text, `id ${id}`);
  } finally {
    h.cleanup();
  }
});

/** Interned texts as a multiset: text → how many entries hold it. */
function internCounts(ring: RingViews): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of internedTexts(ring)) counts.set(text, (counts.get(text) ?? 0) + 1);
  return counts;
}

test('a value pushed out of the recent-value cache by a colliding one keeps its id and is never interned twice', async () => {
  const h = harness();
  try {
    // Two values whose prints pick the same cache slot but differ.
    const slotOf = (text: string) => valuePrint(text) & 1023;
    const first = 'status:ok';
    let second = '';
    for (let i = 0; second === ''; i++) {
      const candidate = `status:${i}`;
      if (candidate !== first && slotOf(candidate) === slotOf(first) && valuePrint(candidate) !== valuePrint(first)) second = candidate;
    }
    const order = [first, first, second, second, first, first, first, second, second];
    for (const value of order) h.emit({ attributes: { v: value } });
    const counts = internCounts(h.ring);
    assert.is(counts.get(first), 1);
    assert.is(counts.get(second), 1);
    const snapshot = await h.snapshot();
    assert.equal(
      snapshot.records.map((record) => record.attributes.v),
      order,
    );
  } finally {
    h.cleanup();
  }
});

test('values with equal prints are told apart by their text; alternating they are never admitted', async () => {
  const h = harness();
  try {
    // Same length and same characters where the print looks (0, ¼, ½, ¾, last): same print.
    const x = 'aXaaaaaaaaaaaaaz';
    const y = 'aYaaaaaaaaaaaaaz';
    assert.is(valuePrint(x), valuePrint(y));
    const order = [x, y, x, y, x, y, y, y];
    for (const value of order) h.emit({ body: value });
    const counts = internCounts(h.ring);
    assert.not.ok(counts.has(x), 'x was never seen twice in a row in its slot');
    assert.is(counts.get(y), 1, 'y is admitted on its second sighting in a row, once');
    const snapshot = await h.snapshot();
    assert.equal(
      snapshot.records.map((record) => record.body),
      order,
    );
  } finally {
    h.cleanup();
  }
});

test('attribute keys remembered by position: reordered, changing and many keys all read back', async () => {
  const h = harness();
  try {
    const many = Object.fromEntries(Array.from({ length: KEY_POSITIONS + 8 }, (_, i) => [`key.${i}`, i]));
    const records = [
      { a: 1, b: 2 },
      { b: 3, a: 4 },
      { a: 5, c: 6 },
      many,
      { [`dyn.${'x'.repeat(3)}`]: 7, a: 8 },
      { a: { b: 9, a: 10 }, b: 11 },
      many,
      { b: 12, a: 13 },
    ];
    for (const attributes of records) h.emit({ body: { a: 'body map', z: 0 }, attributes });
    const snapshot = await h.snapshot();
    assert.equal(
      snapshot.records.map((record) => record.attributes),
      records,
    );
    for (const record of snapshot.records) assert.equal(record.body, { a: 'body map', z: 0 });
    const counts = internCounts(h.ring);
    for (const key of ['a', 'b', 'c', 'z', 'key.0', `key.${KEY_POSITIONS + 7}`]) assert.is(counts.get(key), 1, key);
  } finally {
    h.cleanup();
  }
});

test('records from two loggers in turn keep their own scopes', async () => {
  const h = harness();
  try {
    const provider = new otel.LoggerProvider({ processors: [h.processor as never] });
    const loggers = [provider.getLogger('scope-a', '1.0.0'), provider.getLogger('scope-b', '2.0.0')] as unknown as Logger[];
    for (let i = 0; i < 10; i++) h.emit({ body: `r${i}` }, loggers[i % 3 === 0 ? 0 : 1]);
    const snapshot = await h.snapshot();
    snapshot.records.forEach((record, i) => {
      assert.equal(record.scope, i % 3 === 0 ? { name: 'scope-a', version: '1.0.0' } : { name: 'scope-b', version: '2.0.0' }, `record ${i}`);
    });
    assert.is([...internEntries(h.ring).values()].filter((text) => text.startsWith('<scope')).length, 2);
  } finally {
    h.cleanup();
  }
});

/** Every string-table index a decoded chunk record refers to. */
function referencedStrings(value: unknown, into: Set<number>, isEntries = false): Set<number> {
  if (value instanceof Tag) {
    if (value.tag === STRING_REF_TAG) into.add(value.value as number);
    else if (value.tag === MAP_TAG) referencedStrings(value.value, into, true);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => {
      if (isEntries && i % 2 === 0 && typeof item === 'number') into.add(item);
      else referencedStrings(item, into);
    });
  }
  return into;
}

/** Fields of a chunk record (docs/format.md, "Records") that may refer to the string table. */
function recordReferences(record: unknown[], into: Set<number>): void {
  const [, , , , severityText, , body, attributes, eventName] = record;
  referencedStrings(severityText, into);
  referencedStrings(body, into);
  referencedStrings(attributes, into, true);
  referencedStrings(eventName, into);
}

test('each snapshot chunk carries exactly the strings its records use, and reads on its own', async () => {
  const h = harness({ capacity: 16384 });
  try {
    // Two phases with disjoint vocabularies; the first fills exactly one chunk.
    for (let i = 0; i < 4096; i++)
      h.emit({ severityText: 'ALPHA', body: `alpha ${i % 3}`, attributes: { 'alpha.key': `alpha value ${i % 4}`, shared: 'both' } });
    for (let i = 0; i < 3000; i++)
      h.emit({ eventName: 'beta.event', body: `beta ${i % 3}`, attributes: { 'beta.key': `beta value ${i % 4}`, shared: 'both' } });
    const path = await h.processor.snapshot();
    const file = readFileSync(path);
    const raw = splitSnapshot(file);
    assert.is(raw.chunks.length, 2);

    const [alpha, beta] = raw.chunks;
    for (const chunk of raw.chunks) {
      const used = new Set<number>();
      for (const record of chunk.records) recordReferences(record, used);
      assert.equal(
        [...used].sort((a, b) => a - b),
        chunk.strings.map((_, i) => i),
        'every string is used, every reference resolves',
      );
    }
    assert.ok(alpha!.strings.includes('alpha.key') && alpha!.strings.includes('shared'));
    assert.not.ok(alpha!.strings.some((text) => text.startsWith('beta')));
    assert.ok(beta!.strings.includes('beta.key') && beta!.strings.includes('shared'));
    assert.not.ok(beta!.strings.some((text) => text.startsWith('alpha') || text === 'ALPHA'));
    assert.is(alpha!.scopes.length, 1);
    assert.is(beta!.scopes.length, 1);

    // A file of only the second chunk (and an end block that counts just it) decodes to exactly
    // the second half of the snapshot: nothing in it refers to the first chunk.
    const whole = await readSnapshot(path);
    const alone = await readSnapshot(assembleSnapshot(raw, [beta!.block]));
    assert.equal(alone.damage, []);
    assert.equal(alone.records, whole.records.slice(4096));
    assert.is(alone.records[0]!.eventName, 'beta.event');
    assert.equal(alone.records[0]!.scope, { name: 'intern-scope', version: '1.0.0' });
  } finally {
    h.cleanup();
  }
});

test.run();
