/**
 * Format 1.1 binds every chunk to its file and its place (docs/format.md, "Blocks"): chunks
 * repeated, swapped, cut out or taken from another file are intact blocks that pass their own
 * checksums, and each such file must read as damaged (and throw in strict mode), never as a
 * file of good records in the wrong order or of the wrong service. The files are real snapshots
 * written through the processor, rearranged block by block.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'cbor-x';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCborDecoder } from '../../src/format/cbor.ts';
import { encodeFilePrefix } from '../../src/format/file-format.ts';
import { openSnapshot, readSnapshot, type Snapshot, SnapshotExporter, SnapshotFormatError, TTLogProcessor } from '../../src/index.ts';
import { otel } from '../support/otel.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { splitSnapshot } from '../support/snapshot-chunks.ts';

const directory = mkdtempSync(join(tmpdir(), 'ttlog-'));

/** A snapshot of `service` in three chunks: two large, very compressible records close a chunk. */
async function writeThreeChunks(service: string): Promise<Buffer> {
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory, serviceName: service }), capacity: 16, maxRecordBytes: 320 * 1024 });
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  const logger = provider.getLogger(service);
  // Chunks: 1 small + 2 big | 2 big | 2 small.
  for (const [i, kind] of [...'sbbbbss'].entries()) {
    const body = kind === 'b' ? `${service} big ${i} ${'abcdefgh'.repeat(36 * 1024)}` : `${service} small ${i}`;
    logger.emit({ severityNumber: 9, body, attributes: { i } });
  }
  const path = await processor.snapshot('binding');
  await provider.shutdown();
  return readFileSync(path);
}

/** A file's parts: the prefix (up to the first block), then each chunk with its index block, then the end with its index block. */
interface Parts {
  readonly prefix: Buffer;
  readonly chunks: Array<{ readonly index: Buffer; readonly chunk: Buffer; readonly records: number }>;
  readonly end: Buffer;
}

function partsOf(file: Buffer): Parts {
  const split = splitSnapshot(file);
  const chunks = split.chunks.map((chunk) => ({ index: chunk.index!, chunk: chunk.block, records: chunk.records.length }));
  const endIndexAt = file.length - split.end.length - 40;
  assert.is(file.toString('latin1', endIndexAt, endIndexAt + 4), 'TTLI');
  return { prefix: split.prefix, chunks, end: file.subarray(endIndexAt) };
}

const own = await writeThreeChunks('checkout');
const other = await writeThreeChunks('cart');
const parts = partsOf(own);
const otherParts = partsOf(other);
const intact = await readSnapshot(own);

/** The records of the chunk at `index`, as the intact file reads them. */
function recordsOf(index: number): Snapshot['records'] {
  const start = parts.chunks.slice(0, index).reduce((sum, chunk) => sum + chunk.records, 0);
  return intact.records.slice(start, start + parts.chunks[index]!.records);
}

/** Reads `bytes` as a whole and strictly: the damage codes with their records, and the records. */
async function readBoth(bytes: Buffer): Promise<{ records: Snapshot['records']; damage: Array<[string, number | undefined]> }> {
  const snapshot = await readSnapshot(bytes);
  const strict = await readSnapshot(bytes, { strict: true }).catch((error: unknown) => error);
  if (snapshot.damage.length > 0) {
    assert.instance(strict, SnapshotFormatError);
    assert.is((strict as SnapshotFormatError).code, 'DAMAGED');
  } else assert.not.instance(strict, Error);
  return { records: snapshot.records, damage: snapshot.damage.map((entry) => [entry.code, entry.records]) };
}

const [c0, c1, c2] = parts.chunks as [Parts['chunks'][0], Parts['chunks'][0], Parts['chunks'][0]];

test('a file of format 1.1 on (the writer writes 1.2): a fileId in the header, an index block before every chunk and the end block', async () => {
  assert.equal([...own.subarray(8, 12)], [1, 0, 2, 0]);
  assert.equal(intact.metadata.formatVersion, { major: 1, minor: 2 });
  assert.equal(intact.damage, []);
  assert.equal(
    parts.chunks.map((chunk) => chunk.records),
    [3, 2, 2],
  );
  const header = (file: Buffer) => createCborDecoder().decode(splitSnapshot(file).header) as { fileId: Uint8Array };
  assert.is(header(own).fileId.length, 16);
  assert.not.equal(Buffer.from(header(own).fileId), Buffer.from(header(other).fileId), 'every file draws its own id');
  let records = 0;
  for (const [index, { index: block, chunk }] of parts.chunks.entries()) {
    assert.is(block.readUInt32LE(4), 20);
    assert.is(block.readUInt32LE(8), index, 'a: the chunk index');
    assert.is(block.readUInt32LE(12), chunk.readUInt32LE(16), "b: the chunk's CRC");
    assert.equal(block.subarray(20, 36), Buffer.from(header(own).fileId));
    assert.is(block.readUInt32LE(36), records, 'the records before the chunk');
    records += chunk.readUInt32LE(12);
  }
  assert.is(parts.end.readUInt32LE(8), 3);
  assert.is(parts.end.readUInt32LE(12), parts.end.readUInt32LE(40 + 16));
});

test('two chunks swapped with their index blocks: the later one is read, the earlier is CHUNK_OUT_OF_ORDER', async () => {
  const swapped = Buffer.concat([parts.prefix, c0.index, c0.chunk, c2.index, c2.chunk, c1.index, c1.chunk, parts.end]);
  const read = await readBoth(swapped);
  assert.equal(read.records, [...recordsOf(0), ...recordsOf(2)]);
  assert.equal(read.damage, [
    ['CHUNKS_MISSING', c1.records],
    ['CHUNK_OUT_OF_ORDER', undefined],
  ]);
});

test('two chunks swapped without their index blocks: both CHUNK_UNBOUND', async () => {
  const swapped = Buffer.concat([parts.prefix, c0.index, c1.chunk, c1.index, c0.chunk, c2.index, c2.chunk, parts.end]);
  const read = await readBoth(swapped);
  assert.equal(read.records, recordsOf(2));
  assert.equal(read.damage, [
    ['CHUNK_UNBOUND', c1.records],
    ['CHUNK_UNBOUND', c0.records],
  ]);
});

test('a chunk repeated, with or without its index block, is read once', async () => {
  const withIndex = Buffer.concat([parts.prefix, c0.index, c0.chunk, c1.index, c1.chunk, c1.index, c1.chunk, c2.index, c2.chunk, parts.end]);
  const read = await readBoth(withIndex);
  assert.equal(read.records, intact.records);
  assert.equal(read.damage, [['CHUNK_REPEATED', undefined]]);

  const bare = Buffer.concat([parts.prefix, c0.index, c0.chunk, c1.index, c1.chunk, c1.chunk, c2.index, c2.chunk, parts.end]);
  const readBare = await readBoth(bare);
  assert.equal(readBare.records, intact.records);
  assert.equal(readBare.damage, [['CHUNK_UNBOUND', c1.records]]);
});

test("a chunk of another service's file is CHUNK_FOREIGN (with its index block) or CHUNK_UNBOUND (without)", async () => {
  const foreign = otherParts.chunks[1]!;
  const withIndex = Buffer.concat([parts.prefix, c0.index, c0.chunk, foreign.index, foreign.chunk, c2.index, c2.chunk, parts.end]);
  const read = await readBoth(withIndex);
  assert.equal(read.records, [...recordsOf(0), ...recordsOf(2)]);
  assert.equal(read.damage, [['CHUNK_FOREIGN', undefined]]);
  assert.ok(read.records.every((record) => String(record.body).startsWith('checkout')));

  const inPlace = Buffer.concat([parts.prefix, c0.index, c0.chunk, c1.index, foreign.chunk, c2.index, c2.chunk, parts.end]);
  const readInPlace = await readBoth(inPlace);
  assert.equal(readInPlace.records, [...recordsOf(0), ...recordsOf(2)]);
  assert.equal(readInPlace.damage, [['CHUNK_UNBOUND', foreign.records]]);
});

test('another file under this header, or this file cut and given the end of another, is damage', async () => {
  const otherBody = other.subarray(otherParts.prefix.length);
  const read = await readBoth(Buffer.concat([parts.prefix, otherBody]));
  assert.equal(read.records, []);
  assert.equal(
    read.damage.map(([code]) => code),
    ['CHUNK_FOREIGN', 'CHUNK_FOREIGN', 'CHUNK_FOREIGN', 'CHUNK_FOREIGN'],
  );

  const endOfOther = Buffer.concat([parts.prefix, c0.index, c0.chunk, c1.index, c1.chunk, c2.index, c2.chunk, otherParts.end]);
  const readEnd = await readBoth(endOfOther);
  assert.equal(readEnd.records, intact.records);
  assert.equal(readEnd.damage, [['CHUNK_FOREIGN', undefined]]);
});

test('the last chunk cut out with its index block is CHUNKS_MISSING at the end block', async () => {
  const cut = Buffer.concat([parts.prefix, c0.index, c0.chunk, c1.index, c1.chunk, parts.end]);
  const read = await readBoth(cut);
  assert.equal(read.records, [...recordsOf(0), ...recordsOf(1)]);
  assert.equal(read.damage, [['CHUNKS_MISSING', c2.records]]);
});

test('last(n) reports chunks out of place before the tail, and reads the tail', async () => {
  const foreign = otherParts.chunks[0]!;
  const file = Buffer.concat([
    parts.prefix,
    c0.index,
    c0.chunk,
    c0.index,
    c0.chunk,
    foreign.index,
    foreign.chunk,
    c1.index,
    c1.chunk,
    c2.index,
    c2.chunk,
    parts.end,
  ]);
  const reader = await openSnapshot(file);
  assert.equal(await reader.last(2), recordsOf(2));
  assert.equal(
    reader.damage.map((entry) => entry.code),
    ['CHUNK_REPEATED', 'CHUNK_FOREIGN'],
  );
  const strict = await openSnapshot(file, { strict: true });
  const thrown = await strict.last(2).catch((error: unknown) => error);
  assert.instance(thrown, SnapshotFormatError);
  assert.is((thrown as SnapshotFormatError).code, 'DAMAGED');
});

test('a format 1.1 header without a 16-byte fileId is HEADER_CORRUPT', async () => {
  const header = createCborDecoder().decode(splitSnapshot(own).header) as Record<string, unknown>;
  for (const fileId of [undefined, new Uint8Array(15), 'an id']) {
    const changed = encode({ ...header, fileId }) as Buffer;
    const file = Buffer.concat([encodeFilePrefix(changed), own.subarray(parts.prefix.length)]);
    const error = await readSnapshot(file).catch((caught: unknown) => caught);
    assert.instance(error, SnapshotFormatError, String(fileId));
    assert.is((error as SnapshotFormatError).code, 'HEADER_CORRUPT');
    assert.match((error as SnapshotFormatError).message, /fileId/);
  }
});

test('random rearrangements of whole blocks of two files: every read other than of the file itself reports damage', async () => {
  const random = seededRandom(0xb1d);
  // Blocks to draw from: this file's and the other file's, index blocks and chunks alike.
  const units = [...parts.chunks, ...otherParts.chunks].flatMap((chunk) => [chunk.index, chunk.chunk]);
  const original = Buffer.concat([c0.index, c0.chunk, c1.index, c1.chunk, c2.index, c2.chunk]);
  let damaged = 0;
  let sameAsOriginal = 0;
  const trials = 400;
  for (let trial = 0; trial < trials; trial++) {
    const count = Math.floor(random() * 9);
    const body = Buffer.concat(Array.from({ length: count }, () => units[Math.floor(random() * units.length)]!));
    // Most trials keep this file's own end (with its index block); some take the other file's.
    const end = random() < 0.8 ? parts.end : otherParts.end;
    const file = Buffer.concat([parts.prefix, body, end]);
    const read = await readSnapshot(file);
    if (read.damage.length > 0) {
      damaged++;
      continue;
    }
    // Read without damage: only the file as written, and then its records unchanged.
    assert.ok(body.equals(original) && end === parts.end, `trial ${trial}: ${count} blocks read as an intact file`);
    assert.equal(read.records, intact.records);
    sameAsOriginal++;
  }
  assert.ok(damaged > trials * 0.9, `${damaged} of ${trials} damaged, ${sameAsOriginal} intact`);
});

test.after(() => rmSync(directory, { recursive: true, force: true }));

test.run();
