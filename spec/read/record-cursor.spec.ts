/**
 * The low-level read API: `SnapshotReader.cursors()` and the record cursor it hands out. Every
 * field read one by one must be what `readSnapshot` gives for the record; values must come in
 * the kinds the cursor names; a chunk that fails partway must be damage with none of it used;
 * and errors other than a chunk's own must reach the caller.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compress } from 'lz4-wasm-nodejs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCborEncoder } from '../../src/format/cbor.ts';
import { CHUNK_MAGIC, encodeBlock } from '../../src/format/file-format.ts';
import {
  type AnyValue,
  openSnapshot,
  type RecordCursor,
  readSnapshot,
  SnapshotExporter,
  SnapshotFormatError,
  type SnapshotRecord,
  TTLogProcessor,
} from '../../src/index.ts';
import { otel } from '../support/otel.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { assembleSnapshot, splitSnapshot } from '../support/snapshot-chunks.ts';
import { inTrace } from '../support/trace-context.ts';

const directory = mkdtempSync(join(tmpdir(), 'ttlog-cursor-'));

/** Records of every shape, in chunks of 3 (a large record closes a chunk). */
async function writeSnapshot(): Promise<Buffer> {
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory }), capacity: 64, maxRecordBytes: 320 * 1024 });
  const provider = new otel.LoggerProvider({ resource: otel.resourceFromAttributes({ 'service.name': 'cursor-spec' }), processors: [processor as never] });
  const http = provider.getLogger('http', '1.0.0', { attributes: { 'scope.attr': true } });
  const jobs = provider.getLogger('jobs');
  const traced = inTrace('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331');
  for (let i = 0; i < 4; i++) {
    http.emit({
      severityNumber: 9,
      severityText: 'INFO',
      body: 'request handled',
      attributes: { 'http.route': '/api/orders', status: 200, 'user.id': `u${i}`, ms: 1.5 },
      context: traced,
    });
    jobs.emit({
      severityNumber: 17,
      body: { nested: [1, 'two', null], big: 2n ** 64n } as never,
      attributes: { 10: 'ten', 2: 'two', tags: ['x', 'y'], missing: undefined },
      eventName: 'job.failed',
    });
    http.emit({ body: `large ${i} ${'abcdefgh'.repeat(36 * 1024)}`, attributes: { i, empty: '', bytes: new Uint8Array([1, 2]) } });
  }
  jobs.emit({ severityNumber: 13, attributes: { ok: true } });
  return readFileSync(await processor.snapshot('test'));
}

const file = await writeSnapshot();
const intact = await readSnapshot(file);

/** A value as nextValue() leaves it, turned into what value() would have returned. */
function valueFrom(cursor: RecordCursor): AnyValue | undefined {
  switch (cursor.nextValue()) {
    case 'absent':
      return undefined;
    case 'string':
      return cursor.string(cursor.stringIndex);
    case 'text':
      return cursor.bytes.toString('utf8', cursor.textStart, cursor.textEnd);
    default:
      return cursor.decoded;
  }
}

/** The record read field by field, with its body and attributes streamed, built as the reader builds it. */
function streamed(cursor: RecordCursor): SnapshotRecord {
  cursor.next();
  const head = {
    seq: cursor.seq,
    timestamp: cursor.timestamp,
    observedTimestamp: cursor.observedTimestamp,
    severityNumber: cursor.severityNumber,
    severityText: cursor.severityText,
    scope: cursor.scope,
  };
  const body = valueFrom(cursor);
  const pairs = cursor.attributePairs();
  assert.ok(pairs >= 0, 'the writer writes attribute lists of pairs');
  const attributes: Record<string, AnyValue> = {};
  for (let i = 0; i < pairs; i++) {
    const index = cursor.keyIndex();
    const key = index >= 0 ? cursor.string(index) : cursor.key();
    attributes[key] = valueFrom(cursor) as AnyValue;
  }
  cursor.end();
  // The trace id's bytes, for a caller that writes it without its text: the digits traceId gives.
  const traceIdBytes = cursor.bytes.subarray(cursor.traceIdStart, cursor.traceIdEnd);
  const record: Record<string, unknown> = {
    ...head,
    body,
    attributes,
    eventName: cursor.eventName,
    traceId: cursor.traceId,
    spanId: cursor.spanId,
    traceFlags: cursor.traceFlags,
    droppedAttributesCount: cursor.droppedAttributesCount,
    producer: cursor.producer,
    truncated: cursor.truncated,
    lane: cursor.lane,
  };
  for (const key of Object.keys(record)) if (record[key] === undefined || (key === 'lane' && record[key] === 0)) delete record[key];
  assert.is(Buffer.from(traceIdBytes).toString('hex'), cursor.traceId ?? '');
  return record as unknown as SnapshotRecord;
}

test('records read field by field, their values streamed, are the records readSnapshot gives', async () => {
  const reader = await openSnapshot(file);
  const records: SnapshotRecord[] = [];
  let chunks = 0;
  for await (const count of reader.cursors((cursor) => {
    const before = records.length;
    while (cursor.remaining > 0) records.push(streamed(cursor));
    assert.is(records.length - before, cursor.records);
    return cursor.records;
  })) {
    assert.ok(count > 0);
    chunks++;
  }
  assert.equal(records, intact.records);
  assert.ok(chunks > 1, 'more than one chunk');
  assert.equal(reader.damage, []);
});

test('record(), and value() and attributes() read field by field, give the reader records too', async () => {
  const reader = await openSnapshot(file);
  const whole: SnapshotRecord[] = [];
  const parts: SnapshotRecord[] = [];
  for await (const _ of reader.cursors((cursor) => {
    // Each record twice: field by field, then back to its start and whole.
    while (cursor.remaining > 0) {
      cursor.next();
      const seq = cursor.seq;
      const body = cursor.value();
      const attributes = cursor.attributes();
      parts.push({ seq, body, attributes } as SnapshotRecord);
      cursor.restart();
      whole.push(cursor.record());
    }
  }));
  assert.equal(whole, intact.records);
  assert.equal(
    parts,
    intact.records.map(({ seq, body, attributes }) => ({ seq, body, attributes }) as SnapshotRecord),
  );
});

test('values come as the kinds the cursor names: interned strings by index, in-place text as bytes', async () => {
  const reader = await openSnapshot(file);
  const kinds = new Map<string, string>();
  for await (const _ of reader.cursors((cursor) => {
    while (cursor.remaining > 0) {
      cursor.next();
      kinds.set(`body ${cursor.severityNumber}`, cursor.nextValue());
      const pairs = cursor.attributePairs();
      for (let i = 0; i < pairs; i++) {
        const key = cursor.key();
        const kind = cursor.nextValue();
        kinds.set(key, kind);
        if (kind === 'string') assert.is(typeof cursor.strings[cursor.stringIndex], 'string');
      }
      cursor.end(false);
      assert.is(cursor.traceId, undefined, 'end(false) builds no trace context');
      assert.is(cursor.traceIdEnd, 0);
      assert.is(cursor.eventName, undefined);
    }
  }));
  assert.is(kinds.get('body 9'), 'string', 'a repeated body is interned');
  assert.is(kinds.get('body 0'), 'text', 'a large body is stored in place');
  assert.is(kinds.get('body 13'), 'absent');
  assert.is(kinds.get('body 17'), 'value');
  assert.is(kinds.get('status'), 'unsigned');
  assert.is(kinds.get('ms'), 'value');
  // The 3.x SDK drops an attribute whose value is undefined; the 0.2xx line passes it on.
  const keptUndefined = intact.records.some((record) => Object.hasOwn(record.attributes, 'missing'));
  assert.is(kinds.get('missing'), keptUndefined ? 'absent' : undefined);
  assert.is(kinds.get('bytes'), 'value');
});

test('fields read out of their order throw, and so does a record past the last', async () => {
  const reader = await openSnapshot(file);
  for await (const _ of reader.cursors((cursor) => {
    assert.throws(() => cursor.end(), /out of their order/);
    assert.throws(() => cursor.value(), /out of their order/);
    cursor.next();
    assert.throws(() => cursor.next(), /out of their order/);
    assert.throws(() => cursor.attributes(), /out of their order/, 'the body comes first');
    assert.throws(() => cursor.check(), /out of their order/);
    cursor.skip();
    const pairs = cursor.attributePairs();
    assert.throws(() => cursor.end(), /out of their order/, 'pairs left unread');
    for (let i = 0; i < pairs; i++) {
      cursor.key();
      cursor.skip();
    }
    assert.throws(() => cursor.key(), /out of their order/, 'no pairs left');
    cursor.end();
    while (cursor.remaining > 0) cursor.record();
    assert.throws(() => cursor.next(), RangeError);
  }));
  assert.equal(reader.damage, []);
});

/** The file with the record at `index` of chunk `chunkIndex` replaced, its block re-sealed: it passes its checksum. */
function withRecord(chunkIndex: number, index: number, change: (record: unknown[]) => void): Buffer {
  const split = splitSnapshot(file);
  const blocks = split.chunks.map((chunk, i) => {
    if (i !== chunkIndex) return chunk.block;
    const payload = createCborEncoder().decode(chunk.raw) as unknown[];
    const records = payload[4] as unknown[][];
    change(records[index]!);
    const raw = createCborEncoder().encode(payload);
    return encodeBlock(CHUNK_MAGIC, raw.length, records.length, compress(raw));
  });
  return assembleSnapshot(split, blocks);
}

test('a chunk that fails partway is damage: the cursor throws a typed error, cursors() reports the chunk and goes on', async () => {
  const chunkRecords = splitSnapshot(file).chunks.map((chunk) => chunk.records.length);
  const last = chunkRecords[1]! - 1;
  const damaged = withRecord(1, last, (record) => {
    record[1] = 'soon';
  });
  const reader = await openSnapshot(damaged);
  const seen: SnapshotRecord[] = [];
  const thrown: unknown[] = [];
  for await (const chunk of reader.cursors((cursor) => {
    const read: SnapshotRecord[] = [];
    try {
      while (cursor.remaining > 0) read.push(cursor.record());
    } catch (error) {
      thrown.push(error);
      throw error;
    }
    return read;
  })) {
    seen.push(...chunk);
  }
  assert.is(thrown.length, 1);
  const error = thrown[0];
  assert.instance(error, SnapshotFormatError);
  assert.is((error as SnapshotFormatError).code, 'CHUNK_UNREADABLE');
  assert.is((error as SnapshotFormatError).reason, 'a time delta is not an integer');
  assert.is(reader.damage.length, 1);
  assert.is(reader.damage[0]!.code, 'CHUNK_UNREADABLE');
  assert.is(reader.damage[0]!.records, chunkRecords[1]);
  assert.is(reader.damage[0]!.offset, (error as SnapshotFormatError).offset, 'the error names the chunk block');
  assert.is(reader.damage[0]!.message, 'chunk passed its checksum but did not decode: a time delta is not an integer');
  assert.equal(seen, [...intact.records.slice(0, chunkRecords[0]!), ...intact.records.slice(chunkRecords[0]! + chunkRecords[1]!)], 'none of the damaged chunk');
  // check() finds the same damage before the first record is read.
  const checked = await openSnapshot(damaged);
  const outcomes: string[] = [];
  for await (const outcome of checked.cursors((cursor) => {
    try {
      cursor.check();
      return 'checked';
    } catch (error) {
      outcomes.push((error as SnapshotFormatError).code);
      throw error;
    }
  })) {
    outcomes.push(outcome);
  }
  assert.equal(outcomes.slice(0, 2), ['checked', 'CHUNK_UNREADABLE']);
  assert.is(checked.damage.length, 1);
});

test('an error of the caller is not damage: it ends the reading and reaches the caller', async () => {
  const reader = await openSnapshot(file);
  const chunks = reader.cursors(() => {
    throw new TypeError('a bug in the caller');
  });
  let caught: unknown;
  try {
    for await (const _ of chunks);
  } catch (error) {
    caught = error;
  }
  assert.instance(caught, TypeError);
  assert.match(String(caught), /a bug in the caller/);
  assert.equal(reader.damage, []);
});

test('random changes to a record: every chunk reads whole through the cursor or fails with a typed error, as in readSnapshot', async () => {
  const random = seededRandom(0xc0de);
  const values: unknown[] = ['', 'x', -1, 2 ** 40, 1.5, null, undefined, true, [], [1, [2, [3]]], new Uint8Array(3), 2n ** 70n];
  let failed = 0;
  const trials = 60;
  for (let trial = 0; trial < trials; trial++) {
    const field = Math.floor(random() * 14);
    const value = values[Math.floor(random() * values.length)];
    const changed = withRecord(0, 1, (record) => {
      if (field === 13) record.length = 12;
      else record[field] = value;
    });
    const expected = await readSnapshot(changed);
    const reader = await openSnapshot(changed);
    const records: SnapshotRecord[] = [];
    for await (const chunk of reader.cursors((cursor) => {
      const read: SnapshotRecord[] = [];
      try {
        while (cursor.remaining > 0) read.push(streamedOrWhole(cursor));
      } catch (error) {
        assert.instance(error, SnapshotFormatError, `trial ${trial}: ${String(error)}`);
        throw error;
      }
      return read;
    })) {
      records.push(...chunk);
    }
    assert.equal(records, expected.records, `trial ${trial}: field ${field} = ${String(value)}`);
    assert.equal(reader.damage, expected.damage, `trial ${trial}`);
    if (expected.damage.length > 0) failed++;
  }
  assert.ok(failed > 0 && failed < trials, `${failed} of ${trials} changed chunks failed`);
});

/** Streamed when its attributes are pairs of distinct keys; else from its start again, whole (as the viewer does). */
function streamedOrWhole(cursor: RecordCursor): SnapshotRecord {
  const start = cursor.remaining;
  cursor.next();
  cursor.skip();
  const pairs = cursor.attributePairs();
  const keys = new Set<string>();
  let plain = pairs >= 0;
  for (let i = 0; plain && i < pairs; i++) {
    const key = cursor.key();
    cursor.skip();
    plain = !keys.has(key) && !/^\d+$/.test(key) && key !== '__proto__';
    keys.add(key);
  }
  cursor.restart();
  assert.is(cursor.remaining, start);
  return plain ? streamed(cursor) : cursor.record();
}

test.after(() => rmSync(directory, { recursive: true, force: true }));

test.run();
