import { compress } from 'lz4-wasm-nodejs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CHUNK_MAGIC, encodeBlock } from '../../src/format/file-format.ts';
import { openSnapshot, readSnapshot, SnapshotFormatError } from '../../src/index.ts';
import { snapshotBytes } from '../support/snapshot-bytes.ts';
import { assembleSnapshot, splitSnapshot } from '../support/snapshot-chunks.ts';

/** The smallest record: an array of 13 items, each the one-byte integer 0 (it reads as a record with no body text, scope or trace). */
const MINIMAL_RECORD = Buffer.from([0x8d, ...new Array<number>(13).fill(0)]);

/** Chunk CBOR [0, 0, [], [], records] holding `count` minimal records. */
function minimalChunk(count: number): Buffer {
  const head = Buffer.from([0x85, 0x00, 0x00, 0x80, 0x80, 0x9a, 0, 0, 0, 0]);
  head.writeUInt32BE(count, 6);
  const records = Buffer.alloc(count * MINIMAL_RECORD.length);
  for (let at = 0; at < records.length; at += MINIMAL_RECORD.length) MINIMAL_RECORD.copy(records, at);
  return Buffer.concat([head, records]);
}

/** A real snapshot of one record, whose chunk the tests replace. */
function writeSnapshot(): Promise<Buffer> {
  return snapshotBytes({ serviceName: 'limits' }, (provider) => provider.getLogger('limits').emit({ body: 'the only record' }));
}

const original = await writeSnapshot();
const split = splitSnapshot(original);

/** The snapshot with its one chunk replaced by a block of `raw` (LZ4-compressed) claiming `records`, bound in its place. */
function withChunk(rawLength: number, records: number, payload: Uint8Array): Buffer {
  return assembleSnapshot(split, [encodeBlock(CHUNK_MAGIC, rawLength, records, payload)]);
}

async function damageOf(file: Buffer): Promise<Array<[string, number | undefined, string]>> {
  const { records, damage } = await readSnapshot(file);
  assert.equal(records, []);
  return damage.map((entry) => [entry.code, entry.records, entry.message]);
}

test('a small file whose one chunk holds two million records is CHUNK_UNREADABLE, from its block header', async () => {
  const raw = minimalChunk(2_000_000);
  const file = withChunk(raw.length, 2_000_000, compress(raw));
  assert.ok(file.length < 256 * 1024, `${file.length} bytes`);
  const [damage, ...rest] = await damageOf(file);
  assert.equal(rest, []);
  assert.is(damage![0], 'CHUNK_UNREADABLE');
  assert.is(damage![1], 2_000_000);
  assert.match(damage![2], /claims 2000000 records, more than the 65536 a reader takes/);
  const strict = await readSnapshot(file, { strict: true }).catch((error: unknown) => error);
  assert.instance(strict, SnapshotFormatError);
  assert.is((strict as SnapshotFormatError).code, 'DAMAGED');
  // The field-by-field API refuses the chunk the same way.
  const reader = await openSnapshot(file);
  for await (const _ of reader.cursors(() => assert.unreachable('no cursor for the chunk'))) assert.unreachable('nothing yielded');
  assert.equal(
    reader.damage.map((entry) => entry.code),
    ['CHUNK_UNREADABLE'],
  );
});

test('a chunk at the record limit reads; one record more is damage', async () => {
  const atLimit = minimalChunk(65_536);
  const read = await readSnapshot(withChunk(atLimit.length, 65_536, compress(atLimit)), { strict: true });
  assert.is(read.records.length, 65_536);
  assert.equal(read.records[0], {
    seq: 0,
    timestamp: 0n,
    observedTimestamp: 0n,
    severityNumber: 0,
    body: 0,
    attributes: {},
    scope: { name: '' },
    droppedAttributesCount: 0,
    producer: 0,
    truncated: false,
  });
  const past = minimalChunk(65_537);
  assert.equal(
    (await damageOf(withChunk(past.length, 65_537, compress(past)))).map(([code, records]) => [code, records]),
    [['CHUNK_UNREADABLE', 65_537]],
  );
});

test('a chunk claiming more records than its raw bytes can hold is CHUNK_UNREADABLE', async () => {
  const raw = minimalChunk(100);
  // 100 records need at least 1400 bytes; the header claims 60 000 in them.
  const [damage] = await damageOf(withChunk(raw.length, 60_000, compress(raw)));
  assert.is(damage![0], 'CHUNK_UNREADABLE');
  assert.match(damage![2], /claims 60000 records in 1410 bytes \(a record takes at least 14\)/);
});

test('a chunk claiming more raw bytes than LZ4 expands its payload to is CHUNK_UNREADABLE', async () => {
  // A size prefix of 200 MB before 16 bytes of LZ4: no LZ4 block of 16 bytes decompresses to that.
  const claimed = 200 * 1024 * 1024;
  const payload = Buffer.alloc(20, 0x1f);
  payload.writeUInt32LE(claimed, 0);
  const [damage] = await damageOf(withChunk(claimed, 1, payload));
  assert.is(damage![0], 'CHUNK_UNREADABLE');
  assert.match(damage![2], /claims 209715200 bytes from 16 of LZ4, more than LZ4 expands to/);
  // The most compressible chunk there is, all one byte, stays within the bound and reads as what it is.
  const zeros = Buffer.alloc(1024 * 1024);
  const compressed = compress(zeros);
  assert.ok(zeros.length <= (compressed.length - 4) * 255, `${compressed.length} bytes of LZ4`);
  const [unreadable] = await damageOf(withChunk(zeros.length, 0, compressed));
  assert.match(unreadable![2], /not \[seconds, nanos, strings, scopes, records\]/);
});

test('a chunk whose base time is not an integer is CHUNK_UNREADABLE, not a RangeError', async () => {
  for (const base of [
    [0xfb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0],
    [0xfb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0],
    [0xfb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0],
  ]) {
    // [1.5 | NaN | Infinity, 0, [], [], [one minimal record]]
    const raw = Buffer.concat([Buffer.from([0x85, ...base, 0x00, 0x80, 0x80, 0x81]), MINIMAL_RECORD]);
    const [damage] = await damageOf(withChunk(raw.length, 1, compress(raw)));
    assert.is(damage![0], 'CHUNK_UNREADABLE');
    assert.match(damage![2], /wrong types/);
  }
});

test.run();
