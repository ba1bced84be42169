import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readSnapshot, type Snapshot, SnapshotExporter, TTLogProcessor, type TTLogProcessorOptions } from '../../src/index.ts';
import { otel } from '../support/otel.ts';

const ELLIPSIS = '…';

interface Logger {
  emit(record: never): void;
}

function harness(options: TTLogProcessorOptions = {}, attributeCountLimit?: number) {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-'));
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory, serviceName: 'encoder' }), capacity: 64, ...options });
  const limits = attributeCountLimit === undefined ? {} : { logRecordLimits: { attributeCountLimit } };
  const provider = new otel.LoggerProvider({ processors: [processor as never], ...limits });
  const logger = provider.getLogger('encoder') as unknown as Logger;
  let clock = 0;
  return {
    processor,
    provider,
    emit(record: Record<string, unknown>, into: Logger = logger) {
      clock++;
      into.emit({ timestamp: [1_800_000_000, clock], ...record } as never);
    },
    async snapshot(): Promise<Snapshot> {
      const snapshot = await readSnapshot(await processor.snapshot());
      const { written, captured, overwritten, skipped } = snapshot.metadata.counters;
      assert.is(written, captured + overwritten + skipped);
      return snapshot;
    },
    cleanup: () => rmSync(directory, { recursive: true, force: true }),
  };
}

/** A cut string: whole characters of `original` (valid UTF-16, so valid UTF-8), then the marker. */
function assertCut(cut: unknown, original: string, what: string): void {
  assert.type(cut, 'string', what);
  const text = cut as string;
  assert.ok(text.endsWith(ELLIPSIS), `${what} ends with the marker`);
  const kept = text.slice(0, -ELLIPSIS.length);
  assert.ok(original.startsWith(kept), `${what} keeps a prefix of the original`);
  assert.ok(kept.length < original.length, `${what} is shorter than the original`);
  assert.not.ok(text.includes('\ufffd'), `${what} has no replacement character`);
  assert.is(Buffer.from(text, 'utf8').toString('utf8'), text);
  assert.not.ok(/[\ud800-\udbff]$/.test(kept), `${what} does not end in half a surrogate pair`);
}

test('an oversized body is cut with a marker; the record is flagged and counted', async () => {
  const h = harness({ maxRecordBytes: 256 });
  try {
    const body = 'b'.repeat(10_000);
    h.emit({ severityText: 'INFO', body, attributes: { small: 1, name: 'kept' } });
    h.emit({ body: 'fits' });
    assert.is(h.processor.stats().truncated, 1);
    const snapshot = await h.snapshot();
    const [cut, fits] = snapshot.records;
    assert.ok(cut!.truncated);
    assertCut(cut!.body, body, 'body');
    assert.ok(Buffer.byteLength(cut!.body as string) < 256);
    assert.equal(cut!.attributes, { small: 1, name: 'kept' }, 'small attributes after a cut body still fit');
    assert.is(cut!.severityText, 'INFO');
    assert.is(fits!.truncated, false);
    assert.is(fits!.body, 'fits');
    assert.is(snapshot.metadata.counters.truncated, 1);
    assert.is(snapshot.metadata.counters.dropped, 0);
  } finally {
    h.cleanup();
  }
});

test('oversized attributes keep a prefix of the attributes, each whole or cut with a marker', async () => {
  const h = harness({ maxRecordBytes: 512 });
  try {
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`attr.${String(i).padStart(3, '0')}`, `value ${i}`]));
    h.emit({ body: 'many', attributes: many });
    const long = 'v'.repeat(5000);
    h.emit({ body: 'long', attributes: { first: 1, long, last: 2 } });
    const items = Array.from({ length: 5000 }, (_, i) => i);
    h.emit({ body: 'array', attributes: { items } });
    const bytes = new Uint8Array(100_000).map((_, i) => i & 0xff);
    h.emit({ body: bytes });
    const snapshot = await h.snapshot();
    const [manyRead, longRead, arrayRead, bytesRead] = snapshot.records;

    const keys = Object.keys(manyRead!.attributes);
    assert.ok(keys.length > 0 && keys.length < 200, `${keys.length} attributes kept`);
    assert.equal(keys, Object.keys(many).slice(0, keys.length), 'the first attributes, in order');
    // Each string may take at most half the room left, so the last few kept values may be cut.
    let cut = 0;
    for (const key of keys) {
      const value = manyRead!.attributes[key];
      if (value === many[key]) continue;
      assertCut(value, many[key]!, key);
      cut++;
    }
    assert.ok(cut < keys.length / 2, `${cut} of ${keys.length} kept values were cut`);
    assert.is(manyRead!.attributes[keys[0]!], many[keys[0]!]);
    assert.ok(manyRead!.truncated);

    assert.is(longRead!.attributes.first, 1);
    assertCut(longRead!.attributes.long, long, 'long attribute value');
    assert.ok(longRead!.truncated);

    const kept = arrayRead!.attributes.items as number[];
    assert.ok(Array.isArray(kept) && kept.length > 0 && kept.length < 5000);
    assert.equal(kept, items.slice(0, kept.length), 'an array is cut to its first items');
    assert.ok(arrayRead!.truncated);

    const keptBytes = bytesRead!.body as Uint8Array;
    assert.instance(keptBytes, Uint8Array);
    assert.ok(keptBytes.length > 0 && keptBytes.length < 512);
    assert.equal(keptBytes, bytes.subarray(0, keptBytes.length));
    assert.ok(bytesRead!.truncated);

    assert.is(h.processor.stats().truncated, 4);
    assert.is(snapshot.metadata.counters.truncated, 4);
  } finally {
    h.cleanup();
  }
});

function nest(levels: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

function nestArray(levels: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

test('values nested deeper than 8 levels are cut; the record is flagged and counted', async () => {
  const h = harness({ maxRecordBytes: 4096 });
  try {
    h.emit({ body: nest(8, 'leaf'), attributes: { n: 'body at the limit' } });
    h.emit({ body: nest(12, 'leaf'), attributes: { n: 'body too deep' } });
    h.emit({ body: nestArray(12, 'leaf'), attributes: { n: 'arrays too deep' } });
    h.emit({ body: 'x', attributes: { n: 'attribute at the limit', deep: nest(7, 'leaf') } });
    h.emit({ body: 'x', attributes: { n: 'attribute too deep', deep: nest(12, 'leaf') } });
    const snapshot = await h.snapshot();
    const byName = new Map(snapshot.records.map((record) => [record.attributes.n, record]));

    // The body sits at depth 0, so 8 levels of maps fit and the ninth is cut.
    assert.equal(byName.get('body at the limit')!.body, nest(8, 'leaf'));
    assert.is(byName.get('body at the limit')!.truncated, false);
    assert.equal(byName.get('body too deep')!.body, nest(8, undefined));
    assert.ok(byName.get('body too deep')!.truncated);
    assert.equal(byName.get('arrays too deep')!.body, nestArray(8, undefined));
    assert.ok(byName.get('arrays too deep')!.truncated);
    // Attribute values sit one level down, inside the attributes map.
    assert.equal(byName.get('attribute at the limit')!.attributes.deep, nest(7, 'leaf'));
    assert.is(byName.get('attribute at the limit')!.truncated, false);
    assert.equal(byName.get('attribute too deep')!.attributes.deep, nest(7, undefined));
    assert.ok(byName.get('attribute too deep')!.truncated);

    assert.is(h.processor.stats().truncated, 3);
    assert.is(snapshot.metadata.counters.truncated, 3);
  } finally {
    h.cleanup();
  }
});

test('cut strings are valid UTF-8 wherever the cut falls inside a multi-byte character', async () => {
  const alphabets = ['😀', '€', 'é', 'a😀é€'];
  for (let slot = 128; slot <= 200; slot += 8) {
    const h = harness({ maxRecordBytes: slot });
    try {
      const originals: string[] = [];
      for (const alphabet of alphabets) {
        // Shifting by 0–3 ASCII characters moves the cut across every byte of a 4-byte character.
        for (let shift = 0; shift < 4; shift++) {
          const text = 'x'.repeat(shift) + alphabet.repeat(400);
          originals.push(text);
          h.emit({ body: text, attributes: { i: originals.length - 1 } });
        }
      }
      const snapshot = await h.snapshot();
      assert.is(snapshot.records.length, originals.length);
      for (const record of snapshot.records) {
        const original = originals[record.attributes.i as number]!;
        assert.ok(record.truncated);
        assertCut(record.body, original, `slot ${slot}, record ${String(record.attributes.i)}`);
      }
    } finally {
      h.cleanup();
    }
  }
});

test('every text field can be cut: keys, severity text, event name, and a scope too large to carry', async () => {
  const h = harness({ maxRecordBytes: 256, internCapacity: 0 });
  try {
    const key = '🔑'.repeat(3000);
    const severityText = 'Š'.repeat(3000);
    const eventName = 'e€'.repeat(3000);
    h.emit({ severityText, eventName, body: 'body', attributes: { [key]: 'value' } });
    const hugeScope = h.provider.getLogger('s'.repeat(5000), '1.0.0') as unknown as Logger;
    h.emit({ body: 'from a huge scope' }, hugeScope);
    const snapshot = await h.snapshot();
    const [fields, scoped] = snapshot.records;
    assert.ok(fields!.truncated);
    assertCut(fields!.severityText, severityText, 'severity text');
    assertCut(fields!.eventName, eventName, 'event name');
    assert.is(fields!.body, 'body');
    const keys = Object.keys(fields!.attributes);
    assert.is(keys.length, 1);
    assertCut(keys[0], key, 'attribute key');
    assert.is(fields!.attributes[keys[0]!], 'value');

    assert.ok(scoped!.truncated);
    assert.is(scoped!.body, 'from a huge scope');
    assert.equal(scoped!.scope, { name: '' }, 'a scope that cannot fit inline is left out, not cut into nonsense');
    assert.is(h.processor.stats().dropped, 0);
    assert.is(snapshot.metadata.counters.truncated, 2);
  } finally {
    h.cleanup();
  }
});

test('container counts on both sides of 128 (one count byte, or three) round-trip in every container', async () => {
  const h = harness({ maxRecordBytes: 1024 * 1024, capacity: 16 }, 20_000);
  try {
    const sizes = [0, 1, 127, 128, 129, 300, 16_383, 16_384];
    const entries = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
    const items = (n: number) => Array.from({ length: n }, (_, i) => (i % 3 === 0 ? `s${i}` : i));
    for (const n of sizes) {
      // Attributes with n keys, then a nested map and an array of n after other attributes, and
      // a body map: a moved count must carry what follows it in the record along.
      h.emit({ body: n <= 300 ? entries(n) : 'big', attributes: n <= 300 ? entries(n) : { n } });
      const nested = { map: n <= 300 ? entries(n) : { n }, list: items(n) };
      h.emit({ body: { inner: items(n), after: 'tail' }, attributes: { before: 'x', nested, after: n } });
    }
    const snapshot = await h.snapshot();
    assert.is(snapshot.records.length, sizes.length * 2);
    assert.is(h.processor.stats().truncated, 0);
    sizes.forEach((n, i) => {
      const flat = snapshot.records[2 * i]!;
      const nested = snapshot.records[2 * i + 1]!;
      assert.equal(flat.body, n <= 300 ? entries(n) : 'big', `body map of ${n}`);
      assert.equal(flat.attributes, n <= 300 ? entries(n) : { n }, `${n} attributes`);
      assert.equal(nested.body, { inner: items(n), after: 'tail' }, `array of ${n} in the body`);
      const inner = { map: n <= 300 ? entries(n) : { n }, list: items(n) };
      assert.equal(nested.attributes, { before: 'x', nested: inner, after: n }, `containers of ${n} in attributes`);
      assert.not.ok(flat.truncated || nested.truncated);
    });
  } finally {
    h.cleanup();
  }
});

test('a count of 128 that needs the last bytes of the slot to grow sends the record to trim mode, never tears it', async () => {
  // The record ends with an array of 127 small ints and a short string (copied only if it fits
  // to the last byte); the body's length slides the end of the array across the end of the slot,
  // so some of these records have their items fit but not the two bytes the count then needs.
  const h = harness({ maxRecordBytes: 512, capacity: 256 });
  try {
    const lists: unknown[][] = [];
    const bodies: string[] = [];
    for (let length = 150; length < 260; length++) {
      bodies.push('b'.repeat(length));
      lists.push([...Array.from({ length: 127 }, (_, i) => i % 50), String(length).padStart(8, 'z')]);
      h.emit({ body: bodies[bodies.length - 1], attributes: { list: lists[lists.length - 1] } });
    }
    const snapshot = await h.snapshot();
    assert.is(snapshot.records.length, bodies.length);
    assert.is(h.processor.stats().dropped, 0);
    let whole = 0;
    let trimmed = 0;
    snapshot.records.forEach((record, i) => {
      if (!record.truncated) {
        whole++;
        assert.is(record.body, bodies[i]);
        assert.equal(record.attributes, { list: lists[i] });
        return;
      }
      trimmed++;
      const kept = record.attributes.list as unknown[] | undefined;
      if (kept !== undefined) assert.equal(kept, lists[i]!.slice(0, kept.length), `record ${i} keeps a prefix of the array`);
      if (record.body !== bodies[i]) assertCut(record.body, bodies[i]!, `record ${i} body`);
    });
    assert.ok(whole > 0 && trimmed > 0, `${whole} whole, ${trimmed} trimmed`);
    assert.is(snapshot.metadata.counters.truncated, trimmed);
  } finally {
    h.cleanup();
  }
});

test('strings at every copy-path boundary round-trip exactly, as values, keys, severity text and event names', async () => {
  // 31/32 chars: the JS copy loop's limit; 21/22 and 2730/2731: the longest possible UTF-8 of the
  // string then needs a 1-, 2- or 3-byte header.
  const lengths = [0, 1, 15, 16, 21, 22, 31, 32, 33, 63, 64, 65, 2730, 2731, 3000];
  const fillers = ['a', 'é', '€', '😀'];
  const h = harness({ maxRecordBytes: 65536, capacity: 256 });
  try {
    const sent: { text: string; index: number }[] = [];
    for (const length of lengths) {
      for (const filler of fillers) {
        // A unique prefix: each string is seen once, so it is stored inline, never interned.
        const text = (`${sent.length}:` + filler.repeat(length)).slice(0, Math.max(length, 4));
        sent.push({ text, index: sent.length });
        h.emit({ severityText: text, eventName: text, body: text, attributes: { [text]: text, i: sent.length - 1 } });
      }
    }
    const snapshot = await h.snapshot();
    assert.is(snapshot.records.length, sent.length);
    for (const record of snapshot.records) {
      const { text } = sent[record.attributes.i as number]!;
      // A string cut in half a surrogate pair by slice() has a lone surrogate, stored as U+FFFD.
      const expected = Buffer.from(text, 'utf8').toString('utf8');
      assert.is(record.body, expected, `body of ${text.length} units`);
      assert.is(record.severityText, expected);
      assert.is(record.eventName, expected);
      assert.is(record.attributes[expected], expected, `key and value of ${text.length} units`);
      assert.not.ok(record.truncated);
    }
  } finally {
    h.cleanup();
  }
});

test('a non-ASCII character at any position of a short string round-trips', async () => {
  const h = harness({ maxRecordBytes: 1024, capacity: 4096 });
  try {
    const sent: string[] = [];
    for (const special of ['é', '€', '😀', '\u0080', '\u07ff', '\u0800', '\uffff', '\u007f']) {
      for (let length = 1; length <= 30; length++) {
        for (let at = 0; at < length; at++) {
          const text = 'x'.repeat(at) + special + 'y'.repeat(length - at - 1);
          sent.push(text);
          h.emit({ body: text, attributes: { i: sent.length - 1, [text]: text } });
        }
      }
    }
    assert.ok(sent.length <= 4096);
    const snapshot = await h.snapshot();
    assert.is(snapshot.records.length, sent.length);
    for (const record of snapshot.records) {
      const text = sent[record.attributes.i as number]!;
      assert.equal(record.attributes, { i: record.attributes.i, [text]: text });
      assert.is(record.body, text);
    }
  } finally {
    h.cleanup();
  }
});

test('a long string that only just fits the slot is kept whole, not trimmed', async () => {
  // Three bytes per UTF-16 unit would not fit, so the encoder measures the UTF-8 first.
  const h = harness({ maxRecordBytes: 256 });
  try {
    const ascii = 'a'.repeat(200);
    const accented = 'é'.repeat(100);
    h.emit({ body: ascii });
    h.emit({ body: accented });
    h.emit({ attributes: { long: ascii } });
    const snapshot = await h.snapshot();
    assert.is(snapshot.records[0]!.body, ascii);
    assert.is(snapshot.records[1]!.body, accented);
    assert.equal(snapshot.records[2]!.attributes, { long: ascii });
    assert.is(h.processor.stats().truncated, 0);
  } finally {
    h.cleanup();
  }
});

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function randomValue(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 7 : 10));
  const text = () => ['ascii', 'ünï', '€uro', '😀'][Math.floor(next() * 4)]!.repeat(Math.floor(next() * next() * 300));
  switch (pick) {
    case 0:
      return text();
    case 1:
      return Math.floor(next() * 2 ** 40) - 2 ** 39;
    case 2:
      return next() * 1e6;
    case 3:
      return next() < 0.5;
    case 4:
      return null;
    case 5:
      return BigInt(Math.floor(next() * 2 ** 50)) ** 2n;
    case 6:
      return new Uint8Array(Math.floor(next() * 200)).fill(7);
    case 7:
    case 8:
      return Array.from({ length: Math.floor(next() * 12) }, () => randomValue(next, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: Math.floor(next() * 12) }, (_, i) => [`k${i}`, randomValue(next, depth + 1)]));
  }
}

test('random records of any size are kept or trimmed, never dropped, and always read back', async () => {
  const next = random(20261125);
  for (const slot of [128, 200, 1024]) {
    const h = harness({ maxRecordBytes: slot, capacity: 256 });
    try {
      const bodies: unknown[] = [];
      for (let i = 0; i < 200; i++) {
        bodies.push(randomValue(next, 0));
        h.emit({ body: bodies[i], attributes: { i, extra: randomValue(next, 1) } });
      }
      const snapshot = await h.snapshot();
      assert.is(snapshot.records.length, 200);
      assert.is(h.processor.stats().dropped, 0);
      let truncated = 0;
      for (const record of snapshot.records) {
        if (record.truncated) {
          truncated++;
          continue;
        }
        assert.equal(record.body, bodies[record.attributes.i as number], `slot ${slot}, record ${String(record.attributes.i)}`);
      }
      assert.is(snapshot.metadata.counters.truncated, truncated);
      assert.is(h.processor.stats().truncated, truncated);
      // The fixed seed gives both kinds in every slot size: some trimmed, the rest compared in full.
      assert.ok(truncated > 20 && truncated < 180, `slot ${slot}: ${truncated} of 200 trimmed`);
    } finally {
      h.cleanup();
    }
  }
});

test('a bigint beyond the bignum limit is stored as a short text, flagged and counted; one at the limit is kept', async () => {
  // A slot large enough for the huge value's decimal digits, which the encoder must never make.
  const h = harness({ maxRecordBytes: 1024 * 1024, capacity: 16 });
  try {
    const huge = 2n ** 2_000_000n;
    const atLimit = 2n ** 8192n - 1n;
    h.emit({ body: huge, attributes: { n: 1 } });
    h.emit({ body: [-huge - 1n, { inside: huge }], attributes: { n: 2 } });
    h.emit({ body: [atLimit, -(2n ** 8192n)], attributes: { n: 3 } });
    h.emit({ body: -(2n ** 8192n) - 1n, attributes: { n: 4 } });
    const snapshot = await h.snapshot();
    const [first, second, third, fourth] = snapshot.records;
    assert.is(first!.body, '0x1000000000000000…0000000000000000 (2000001-bit bigint)');
    assert.ok(first!.truncated);
    assert.equal(second!.body, [
      '-0x1000000000000000…0000000000000001 (2000001-bit bigint)',
      { inside: '0x1000000000000000…0000000000000000 (2000001-bit bigint)' },
    ]);
    assert.ok(second!.truncated);
    assert.equal(third!.body, [atLimit, -(2n ** 8192n)], 'the largest bigints a bignum holds are kept exactly');
    assert.not.ok(third!.truncated);
    assert.is(fourth!.body, '-0x1000000000000000…0000000000000001 (8193-bit bigint)', 'one past the limit');
    assert.is(h.processor.stats().truncated, 3);
    assert.is(snapshot.metadata.counters.truncated, 3);
  } finally {
    h.cleanup();
  }
});

test('a bigint whose digits trimming cuts reads as its leading digits and the marker', async () => {
  const h = harness({ maxRecordBytes: 128 });
  try {
    const big = 7n * 10n ** 400n + 1n;
    h.emit({ body: big });
    const [record] = (await h.snapshot()).records;
    assert.ok(record!.truncated);
    assertCut(record!.body, big.toString(), 'the cut digits');
  } finally {
    h.cleanup();
  }
});

test.run();
