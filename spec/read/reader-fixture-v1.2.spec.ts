/**
 * The committed format 1.2 fixtures (spec/fixtures/v1.2-basic.bin with LZ4 chunks and
 * v1.2-deflate.bin with DEFLATE chunks, written once by make-v1.2-fixture.ts) must read back to
 * exactly these records with every later version of the reader: coded chunk blocks that name
 * their codec, and ids the 1.2 writer packed into bytes under tags 40102 and 40103. The expected
 * values are written out here on purpose: they are what the 1.2 writer put in the files, not what
 * the current writer would produce.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decode, Tag } from 'cbor-x';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { iterateSnapshot, openSnapshot, readSnapshot, type SnapshotRecord } from '../../src/index.ts';
import { splitSnapshot } from '../support/snapshot-chunks.ts';

const FIXTURES = {
  lz4: { path: fileURLToPath(new URL('../fixtures/v1.2-basic.bin', import.meta.url)), codecByte: 0 },
  deflate: { path: fileURLToPath(new URL('../fixtures/v1.2-deflate.bin', import.meta.url)), codecByte: 1 },
} as const;

const API_SCOPE = { name: 'api', version: '3.0.0' };
const WORKER_SCOPE = { name: 'worker' };
const PLAIN = { droppedAttributesCount: 0, producer: 0, truncated: false };
const LARGE = 'ijklmnop'.repeat(36 * 1024);

/** A record at 2026-12-01T00:00:00.{ms}Z observed at the same instant. */
function at(ms: number): { timestamp: bigint; observedTimestamp: bigint } {
  const time = 1_796_083_200_000_000_000n + BigInt(ms) * 1_000_000n;
  return { timestamp: time, observedTimestamp: time };
}

const EXPECTED: SnapshotRecord[] = [
  {
    seq: 0,
    timestamp: 1796083200000000000n,
    observedTimestamp: 1796083200000000500n,
    severityNumber: 9,
    severityText: 'INFO',
    body: 'request handled',
    attributes: {
      'request.id': 'c0ffee0123456789',
      'trace.hex': '4bf92f3577b34da6a3ce929d0e0e4736',
      'session.uuid': '123e4567-e89b-42d3-a456-426614174000',
      'upper.hex': 'C0FFEE0123456789',
      'odd.hex': 'c0ffee012345678',
      'short.hex': 'c0ffee01234567',
      'not.uuid': '123e4567-e89b-42d3-a456_426614174000',
    },
    scope: API_SCOPE,
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: 1,
    ...PLAIN,
  },
  { seq: 1, ...at(1), severityNumber: 9, body: `first large record ${LARGE}`, attributes: { part: 1 }, scope: WORKER_SCOPE, ...PLAIN },
  { seq: 2, ...at(2), severityNumber: 9, body: `second large record ${LARGE}`, attributes: { part: 2 }, scope: WORKER_SCOPE, ...PLAIN },
  {
    seq: 0,
    ...at(3),
    severityNumber: 17,
    severityText: 'ERROR',
    body: { message: 'payment failed', 'payment.id': 'deadbeefdeadbeefdeadbeefdeadbeef', ids: ['0000000000000000', 'ffffffffffffffff'] },
    attributes: { 'request.id': 'c0ffee0123456789', 'retry.after': 2.5 },
    eventName: 'payment.failed',
    scope: API_SCOPE,
    ...PLAIN,
    lane: 1,
  },
  { seq: 3, ...at(4), severityNumber: 9, body: `third large record ${LARGE}`, attributes: { part: 3 }, scope: WORKER_SCOPE, ...PLAIN },
  { seq: 4, ...at(5), severityNumber: 9, body: `fourth large record ${LARGE}`, attributes: { part: 4 }, scope: WORKER_SCOPE, ...PLAIN },
  {
    seq: 1,
    timestamp: 1796083201000000001n,
    observedTimestamp: 1796083201000000002n,
    severityNumber: 13,
    severityText: 'WARN',
    body: 'f47ac10b-58cc-4372-a567-0e02b2c3d479',
    attributes: { 'request.id': 'c0ffee0123456789', ratio: -0 },
    scope: API_SCOPE,
    ...PLAIN,
    lane: 1,
  },
];

for (const [codec, { path, codecByte }] of Object.entries(FIXTURES)) {
  test(`the ${codec} fixture: version 1.2, three coded chunks that name ${codec}, each after its index block`, () => {
    const bytes = readFileSync(path);
    assert.equal([...bytes.subarray(0, 12)], [0x89, 0x54, 0x54, 0x4c, 0x4f, 0x47, 0x0d, 0x0a, 1, 0, 2, 0]);
    const split = splitSnapshot(bytes);
    assert.equal(
      split.chunks.map((chunk) => [chunk.block.toString('latin1', 0, 4), chunk.block[20], chunk.records.length]),
      [
        ['TTLZ', codecByte, 3],
        ['TTLZ', codecByte, 3],
        ['TTLZ', codecByte, 1],
      ],
    );
    let recordsBefore = 0;
    for (const [index, chunk] of split.chunks.entries()) {
      const block = chunk.index!;
      assert.equal([block.toString('latin1', 0, 4), block.readUInt32LE(8), block.readUInt32LE(12)], ['TTLI', index, chunk.block.readUInt32LE(16)]);
      assert.equal(block.subarray(20, 36), split.fileId);
      assert.is(block.readUInt32LE(36), recordsBefore);
      recordsBefore += chunk.records.length;
    }
  });

  test(`the ${codec} fixture's chunks are plain CBOR: ids packed under tags 40102 and 40103, other text left alone, floats short`, () => {
    const chunk = splitSnapshot(readFileSync(path)).chunks[0]!;
    const [, , strings, , records] = decode(chunk.raw) as [number, number, string[], unknown[], unknown[][]];
    const attributes = records[0]![7] as unknown[];
    const value = (key: string) => attributes[attributes.findIndex((item) => strings[item as number] === key) + 1];
    const packed = (key: string) => {
      const tagged = value(key);
      assert.instance(tagged, Tag, key);
      return [(tagged as Tag).tag, Buffer.from((tagged as Tag).value as Uint8Array).toString('hex')];
    };
    assert.equal(packed('request.id'), [40102, 'c0ffee0123456789']);
    assert.equal(packed('trace.hex'), [40102, '4bf92f3577b34da6a3ce929d0e0e4736']);
    assert.equal(packed('session.uuid'), [40103, '123e4567e89b42d3a456426614174000']);
    assert.is(value('upper.hex'), 'C0FFEE0123456789');
    assert.is(value('odd.hex'), 'c0ffee012345678');
    assert.is(value('short.hex'), 'c0ffee01234567');
    // A 1.2 writer writes a number as the shortest float that holds it: 2.5 as a half float, -0 too.
    const [second, third] = splitSnapshot(readFileSync(path)).chunks.slice(1);
    assert.ok(second!.raw.includes(Buffer.from([0xf9, 0x41, 0x00])), 'retry.after 2.5 as f9 41 00');
    assert.ok(third!.raw.includes(Buffer.from([0xf9, 0x80, 0x00])), 'ratio -0 as f9 80 00');
  });

  test(`the ${codec} fixture header reads back as written`, async () => {
    const { metadata, damage } = await readSnapshot(path);
    assert.equal(damage, []);
    assert.equal(metadata.formatVersion, { major: 1, minor: 2 });
    assert.is(metadata.service, 'fixture-v1.2');
    assert.is(metadata.reason, 'fixture');
    // Header values are never packed: the resource's hex text is text.
    assert.equal(metadata.resource, { 'service.name': 'fixture-v1.2', 'deployment.id': '9f86d081884c7d65' });
    assert.equal(metadata.counters, { written: 7, captured: 7, overwritten: 0, skipped: 0, truncated: 0, dropped: 0 });
    assert.is(metadata.records, 7);
    assert.is(metadata.chunks, 3);
    assert.ok(metadata.hostname.length > 0);
    assert.ok(metadata.createdAt.getTime() > Date.UTC(2026, 0, 1), `createdAt ${String(metadata.createdAt)}`);
  });

  test(`the ${codec} fixture records read back exactly, strictly, whole, streamed and from the end`, async () => {
    const { records } = await readSnapshot(path, { strict: true });
    assert.is(records.length, EXPECTED.length);
    for (let i = 0; i < EXPECTED.length; i++) assert.equal(records[i], EXPECTED[i], `record ${i}`);
    assert.ok(Object.is(records[6]!.attributes.ratio, -0), '-0 stays -0');
    const streamed: SnapshotRecord[] = [];
    for await (const record of iterateSnapshot(readFileSync(path), { strict: true })) streamed.push(record);
    assert.equal(streamed, EXPECTED);
    for (let count = 0; count <= EXPECTED.length; count++) {
      const reader = await openSnapshot(path, { strict: true });
      assert.equal(await reader.last(count), EXPECTED.slice(EXPECTED.length - count), `last ${count}`);
    }
  });
}

test.run();
