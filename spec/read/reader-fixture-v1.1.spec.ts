/**
 * The committed format 1.1 fixture (spec/fixtures/v1.1-basic.bin, written once by
 * make-v1.1-fixture.ts) must read back to exactly these records with every later version of the
 * reader, its chunks bound to their places by the index blocks the 1.1 writer put before them.
 * The expected values are written out here on purpose: they are what the 1.1 writer put in the
 * file, not what the current writer would produce.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { iterateSnapshot, openSnapshot, readSnapshot, type SnapshotRecord } from '../../src/index.ts';
import { splitSnapshot } from '../support/snapshot-chunks.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/v1.1-basic.bin', import.meta.url));

const API_SCOPE = { name: 'api', version: '2.1.0', schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' };
const WORKER_SCOPE = { name: 'worker' };
const TRACED = { traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', traceFlags: 1 };
const PLAIN = { droppedAttributesCount: 0, producer: 0, truncated: false };
const LARGE = 'abcdefgh'.repeat(36 * 1024);

/** A record at 2026-06-01T00:00:00.{ms}Z observed at the same instant. */
function at(ms: number): { timestamp: bigint; observedTimestamp: bigint } {
  const time = 1_780_272_000_000_000_000n + BigInt(ms) * 1_000_000n;
  return { timestamp: time, observedTimestamp: time };
}

const EXPECTED: SnapshotRecord[] = [
  {
    seq: 0,
    timestamp: 1780272000000000000n,
    observedTimestamp: 1780272000000000250n,
    severityNumber: 9,
    severityText: 'INFO',
    body: 'order placed',
    attributes: { 'order.id': 42, 'order.items': ['book', 'pen'] },
    scope: API_SCOPE,
    ...TRACED,
    ...PLAIN,
  },
  {
    seq: 0,
    ...at(1),
    severityNumber: 13,
    severityText: 'WARN',
    body: 'order slow',
    attributes: { 'order.id': 42, 'latency.ms': 812.5 },
    scope: API_SCOPE,
    ...PLAIN,
    lane: 1,
  },
  { seq: 1, ...at(2), severityNumber: 9, body: `first large record ${LARGE}`, attributes: { part: 1 }, scope: WORKER_SCOPE, ...PLAIN },
  { seq: 2, ...at(3), severityNumber: 9, body: `second large record ${LARGE}`, attributes: { part: 2 }, scope: WORKER_SCOPE, ...PLAIN },
  {
    seq: 1,
    ...at(4),
    severityNumber: 17,
    severityText: 'ERROR',
    body: { message: 'payment failed', code: 402, retry: false },
    attributes: { 'order.id': 43 },
    eventName: 'payment.failed',
    scope: API_SCOPE,
    ...PLAIN,
    lane: 1,
  },
  {
    seq: 3,
    ...at(5),
    severityNumber: 5,
    body: { 'count.int64': 1152921504606846976n, 'count.huge': -1208925819614629174706176n },
    attributes: { bytes: new Uint8Array([0, 255]) },
    scope: WORKER_SCOPE,
    ...PLAIN,
  },
  { seq: 4, ...at(6), severityNumber: 9, body: `third large record ${LARGE}`, attributes: { part: 3 }, scope: WORKER_SCOPE, ...PLAIN },
  { seq: 5, ...at(7), severityNumber: 9, body: `fourth large record ${LARGE}`, attributes: { part: 4 }, scope: WORKER_SCOPE, ...PLAIN },
  {
    seq: 6,
    timestamp: 1780272001000000001n,
    observedTimestamp: 1780272001000000002n,
    severityNumber: 9,
    severityText: 'INFO',
    body: 'order placed',
    attributes: { 'order.id': 44, 'order.items': [] },
    scope: API_SCOPE,
    ...TRACED,
    ...PLAIN,
  },
  {
    seq: 2,
    ...at(1_001),
    severityNumber: 21,
    severityText: 'FATAL',
    body: 'shutting down: ünïcödé 🚀',
    attributes: { 'exit.code': -1, ratio: -0 },
    scope: API_SCOPE,
    ...PLAIN,
    lane: 1,
  },
];

test('the fixture starts with the v1 magic and version 1.1', () => {
  const prefix = readFileSync(FIXTURE).subarray(0, 12);
  assert.equal([...prefix], [0x89, 0x54, 0x54, 0x4c, 0x4f, 0x47, 0x0d, 0x0a, 1, 0, 1, 0]);
});

test('the fixture holds three chunks, each after its index block, and an index block before the end block', () => {
  const bytes = readFileSync(FIXTURE);
  const split = splitSnapshot(bytes);
  assert.equal(
    split.chunks.map((chunk) => chunk.records.length),
    [4, 4, 2],
  );
  assert.is(split.fileId?.length, 16);
  let recordsBefore = 0;
  for (const [index, chunk] of split.chunks.entries()) {
    const block = chunk.index!;
    assert.is(block.toString('latin1', 0, 4), 'TTLI');
    assert.equal([block.readUInt32LE(4), block.readUInt32LE(8), block.readUInt32LE(12)], [20, index, chunk.block.readUInt32LE(16)]);
    assert.equal(block.subarray(20, 36), split.fileId);
    assert.is(block.readUInt32LE(36), recordsBefore);
    recordsBefore += chunk.records.length;
  }
  const endIndex = bytes.subarray(bytes.length - 60, bytes.length - 20);
  assert.is(endIndex.toString('latin1', 0, 4), 'TTLI');
  assert.equal([endIndex.readUInt32LE(8), endIndex.readUInt32LE(12), endIndex.readUInt32LE(36)], [3, split.end.readUInt32LE(16), 10]);
});

test('the v1.1 fixture header reads back as written', async () => {
  const { metadata, damage } = await readSnapshot(FIXTURE);
  assert.equal(damage, []);
  assert.equal(metadata.formatVersion, { major: 1, minor: 1 });
  assert.is(metadata.service, 'fixture-v1.1');
  assert.is(metadata.reason, 'fixture');
  assert.equal(metadata.resource, { 'service.name': 'fixture-v1.1', 'service.version': '2.0.0' });
  assert.equal(metadata.producer, { name: 'ttlog', version: '0.1.0' });
  assert.equal(metadata.counters, { written: 10, captured: 10, overwritten: 0, skipped: 0, truncated: 0, dropped: 0 });
  assert.equal(metadata.lanes, [
    { written: 7, captured: 7, overwritten: 0, skipped: 0, truncated: 0, dropped: 0, minSeverity: 0 },
    { written: 3, captured: 3, overwritten: 0, skipped: 0, truncated: 0, dropped: 0, minSeverity: 13 },
  ]);
  assert.is(metadata.records, 10);
  assert.is(metadata.chunks, 3);
  assert.not.ok('cause' in metadata);
  // Where and when the fixture was written is not pinned, only that it is there and well-formed.
  assert.ok(metadata.hostname.length > 0);
  assert.ok(Number.isInteger(metadata.pid) && metadata.pid > 0);
  assert.ok(metadata.createdAt.getTime() > Date.UTC(2025, 0, 1), `createdAt ${String(metadata.createdAt)}`);
});

test('the v1.1 fixture records read back exactly, strictly, whole and streamed', async () => {
  const { records } = await readSnapshot(FIXTURE, { strict: true });
  assert.is(records.length, EXPECTED.length);
  for (let i = 0; i < EXPECTED.length; i++) assert.equal(records[i], EXPECTED[i], `record ${i}`);
  assert.ok(Object.is(records[9]!.attributes.ratio, -0), '-0 stays -0');
  const streamed: SnapshotRecord[] = [];
  for await (const record of iterateSnapshot(readFileSync(FIXTURE), { strict: true })) streamed.push(record);
  assert.equal(streamed, EXPECTED);
});

test('last(n) on the v1.1 fixture checks every place and decodes the tail', async () => {
  for (let count = 0; count <= EXPECTED.length; count++) {
    const reader = await openSnapshot(FIXTURE, { strict: true });
    assert.equal(await reader.last(count), EXPECTED.slice(EXPECTED.length - count), `last ${count}`);
    assert.equal(reader.damage, []);
  }
});

test.run();
