/**
 * The reader against whole, cut, damaged and foreign files. A snapshot of a few chunks is written
 * through the real processor; the tests then cut it at every byte, flip bytes at random, splice
 * in blocks and rewrite its version, and check that the reader only ever answers with a typed
 * error or with records that are exactly the original ones (docs/format.md).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { decode, encode, Tag } from 'cbor-x';
import { compress } from 'lz4-wasm-nodejs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCborDecoder, createCborEncoder } from '../../src/format/cbor.ts';
import {
  iterateSnapshot,
  openSnapshot,
  readSnapshot,
  type Snapshot,
  SnapshotExporter,
  SnapshotFormatError,
  type SnapshotRecord,
  TTLogProcessor,
} from '../../src/index.ts';
import { otel } from '../support/otel.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { assembleSnapshot, asVersion10, replaceChunk, splitSnapshot } from '../support/snapshot-chunks.ts';
import { inTrace } from '../support/trace-context.ts';

const directory = mkdtempSync(join(tmpdir(), 'ttlog-'));

/** Where each chunk block sits, read from the framing as docs/format.md describes it. */
interface ChunkLayout {
  readonly offset: number;
  readonly end: number;
  readonly records: number;
  /** Where its index block starts (format 1.1): the chunk's place in the file starts there. */
  readonly index: number;
}

interface Layout {
  readonly headerEnd: number;
  readonly chunks: ChunkLayout[];
  /** Where the end block's index block starts. */
  readonly endIndex: number;
  readonly endBlock: number;
  /** Every block, [offset, end). */
  readonly blocks: Array<readonly [number, number]>;
}

/** An index block: its 20-byte header and a 20-byte payload (docs/format.md, "Blocks"). */
const INDEX_BLOCK = 40;

function layoutOf(bytes: Buffer): Layout {
  const headerEnd = 16 + bytes.readUInt32LE(12) + 4;
  const chunks: ChunkLayout[] = [];
  const blocks: Array<readonly [number, number]> = [];
  let offset = headerEnd;
  for (;;) {
    const index = offset;
    assert.is(bytes.toString('latin1', offset, offset + 4), 'TTLI');
    assert.is(bytes.readUInt32LE(offset + 4), INDEX_BLOCK - 20);
    blocks.push([offset, offset + INDEX_BLOCK]);
    offset += INDEX_BLOCK;
    // A chunk block: TTLZ as the writer writes it (format 1.2), or TTLC as a test rebuilt it.
    if (!['TTLC', 'TTLZ'].includes(bytes.toString('latin1', offset, offset + 4))) break;
    const end = offset + 20 + bytes.readUInt32LE(offset + 4);
    chunks.push({ offset, end, records: bytes.readUInt32LE(offset + 12), index });
    blocks.push([offset, end]);
    offset = end;
  }
  assert.is(bytes.toString('latin1', offset, offset + 4), 'TTLE');
  assert.is(offset + 20, bytes.length);
  blocks.push([offset, offset + 20]);
  return { headerEnd, chunks, endIndex: offset - INDEX_BLOCK, endBlock: offset, blocks };
}

/** A few small records of every kind around large, very compressible ones that fill chunks fast. */
async function writeMultiChunkSnapshot(): Promise<{ path: string; bytes: Buffer; intact: Snapshot; layout: Layout }> {
  // A chunk closes once its records pass 512 KiB, so two 300 KB records end a chunk while the
  // file stays a few KB: small enough to cut at every byte in a few seconds.
  // One lane: the file-structure tests below key records by seq, which counts per lane.
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory }), capacity: 32, maxRecordBytes: 320 * 1024, severityLane: false });
  const provider = new otel.LoggerProvider({
    resource: otel.resourceFromAttributes({ 'service.name': 'reader-spec', 'service.instance.id': 'i-1' }),
    processors: [processor as never],
  });
  const http = provider.getLogger('http', '1.0.0', { attributes: { 'scope.attr': true } });
  const jobs = provider.getLogger('jobs');
  const traced = inTrace('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331');
  const small = [
    () => http.emit({ severityNumber: 9, severityText: 'INFO', body: 'GET /a', attributes: { 'http.method': 'GET', status: 200, ms: 1.5 }, context: traced }),
    () => jobs.emit({ severityNumber: 13, body: { nested: { list: [1, 'two', null, false], bytes: new Uint8Array([1, 2, 3]) } }, eventName: 'job.ran' }),
    () => jobs.emit({ severityNumber: 17, body: { big: 2n ** 64n + 1n } as never, attributes: { 'http.method': 'POST', tags: ['x', 'y'] } }),
    () => http.emit({ severityNumber: 5, body: `unique ${Math.PI} ü 🚀`, attributes: { empty: '' } }),
  ];
  const big = (i: number) => http.emit({ severityNumber: 9, body: `big ${i} ${'abcdefgh'.repeat(36 * 1024)}`, attributes: { i } });
  // Chunks: 3 small + 2 big | 2 small + 2 big | 4 small.
  const plan = 'sssbbssbbssss';
  let smallIndex = 0;
  for (let i = 0; i < plan.length; i++) {
    if (plan[i] === 'b') big(i);
    else small[smallIndex++ % small.length]!();
  }
  const path = await processor.snapshot('test');
  const bytes = readFileSync(path);
  const intact = await readSnapshot(bytes);
  return { path, bytes, intact, layout: layoutOf(bytes) };
}

const file = await writeMultiChunkSnapshot();

/** The file's records by ring sequence number. */
const bySeq = new Map(file.intact.records.map((record) => [record.seq, record]));

/** Asserts that `records` are whole chunks of the intact file, in order and unchanged. */
function assertWholeChunks(records: readonly SnapshotRecord[], context: string): void {
  let at = 0;
  let previous = -1;
  for (const record of records) {
    const original = bySeq.get(record.seq);
    assert.ok(original !== undefined, `${context}: record with unknown seq ${record.seq}`);
    assert.equal(record, original, `${context}: record ${record.seq} differs from the intact file`);
    assert.ok(record.seq > previous, `${context}: records out of order`);
    previous = record.seq;
  }
  const returned = new Set(records.map((record) => record.seq));
  for (const chunk of file.layout.chunks) {
    const seqs = file.intact.records.slice(at, at + chunk.records).map((record) => record.seq);
    at += chunk.records;
    const present = seqs.filter((seq) => returned.has(seq)).length;
    assert.ok(present === 0 || present === seqs.length, `${context}: chunk at ${chunk.offset} returned ${present} of its ${seqs.length} records`);
  }
}

async function readOrError(bytes: Uint8Array, strict = false): Promise<Snapshot | SnapshotFormatError> {
  try {
    return await readSnapshot(bytes, { strict });
  } catch (error) {
    if (error instanceof SnapshotFormatError) return error;
    throw new Error(`not a SnapshotFormatError: ${String(error)}`);
  }
}

/** Re-seals the header after its prefix was patched, as a writer of that version would have. */
function resealHeader(bytes: Buffer): void {
  const headerLength = bytes.readUInt32LE(12);
  bytes.writeUInt32LE(crc32(bytes.subarray(8, 16 + headerLength)), 16 + headerLength);
}

/** A block framed as docs/format.md §3 describes, with a correct CRC. */
function block(magic: string, a: number, b: number, payload: Uint8Array): Buffer {
  const out = Buffer.alloc(20 + payload.length);
  out.write(magic, 0, 'latin1');
  out.writeUInt32LE(payload.length, 4);
  out.writeUInt32LE(a, 8);
  out.writeUInt32LE(b, 12);
  out.set(payload, 20);
  out.writeUInt32LE(crc32(out.subarray(20), crc32(out.subarray(0, 16))), 16);
  return out;
}

test('the test file has three chunks and reads back whole', () => {
  const { intact, layout } = file;
  assert.equal(
    layout.chunks.map((chunk) => chunk.records),
    [5, 4, 4],
  );
  assert.is(intact.metadata.chunks, 3);
  assert.is(intact.metadata.records, 13);
  assert.is(intact.records.length, 13);
  assert.equal(intact.damage, []);
  assert.is(intact.metadata.service, 'reader-spec');
  assert.is(intact.metadata.reason, 'test');
  assert.equal(intact.metadata.resource, { 'service.name': 'reader-spec', 'service.instance.id': 'i-1' });
  assert.equal(intact.metadata.counters, { written: 13, captured: 13, overwritten: 0, skipped: 0, truncated: 0, dropped: 0 });
  assert.equal(
    intact.records.map((record) => record.seq),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
  );
  assert.equal(intact.records[2]!.body, { big: 2n ** 64n + 1n });
  assert.equal(intact.records[1]!.body, { nested: { list: [1, 'two', null, false], bytes: new Uint8Array([1, 2, 3]) } });
  assert.is(intact.records[0]!.traceId, '0af7651916cd43dd8448eb211c80319c');
  assert.ok(String(intact.records[3]!.body).startsWith('big 3 abcdefgh'));
  assert.is(String(intact.records[3]!.body).length, 'big 3 '.length + 8 * 36 * 1024);
});

test('a file cut at any byte gives TRUNCATED or the whole chunks before the cut', async () => {
  const { bytes, layout, intact } = file;
  for (let length = 0; length < bytes.length; length++) {
    const result = await readOrError(bytes.subarray(0, length));
    if (length < layout.headerEnd) {
      assert.instance(result, SnapshotFormatError, `cut at ${length}`);
      assert.is((result as SnapshotFormatError).code, length === 0 ? 'NOT_A_SNAPSHOT' : 'TRUNCATED', `cut at ${length}`);
      continue;
    }
    assert.not.instance(result, SnapshotFormatError, `cut at ${length}`);
    const snapshot = result as Snapshot;
    const whole = layout.chunks.filter((chunk) => chunk.end <= length);
    const expected = intact.records.slice(
      0,
      whole.reduce((sum, chunk) => sum + chunk.records, 0),
    );
    assert.equal(snapshot.records, expected, `cut at ${length}`);
    assert.equal(snapshot.metadata, intact.metadata, `cut at ${length}`);
    assert.is(snapshot.damage.length, 1, `cut at ${length}`);
    const [damage] = snapshot.damage;
    assert.is(damage!.code, 'TRUNCATED', `cut at ${length}`);
    const cutBlock = layout.chunks.find((chunk) => chunk.offset <= length && length < chunk.end);
    const cutBlockStart = layout.blocks.find(([start, end]) => start <= length && length < end)?.[0] ?? length;
    assert.is(damage!.offset, cutBlockStart, `cut at ${length}`);
    // The lost chunk's record count is reported when its block header survived the cut.
    assert.is(damage!.records, cutBlock !== undefined && length - cutBlock.offset >= 20 ? cutBlock.records : undefined, `cut at ${length}`);
  }
});

test('cut files read the same from a path as from bytes', async () => {
  const { bytes, layout } = file;
  const cuts = new Set([
    layout.headerEnd,
    layout.endBlock,
    bytes.length - 1,
    ...layout.chunks.flatMap((chunk) => [chunk.offset + 19, chunk.offset + 20, chunk.end - 1, chunk.end]),
  ]);
  for (let length = 1; length < bytes.length; length += 211) cuts.add(length);
  const path = join(directory, 'cut.bin');
  for (const length of cuts) {
    writeFileSync(path, bytes.subarray(0, length));
    assert.equal(await readSnapshot(path).catch((error: unknown) => error), await readOrError(bytes.subarray(0, length)), `cut at ${length}`);
  }
});

test('random byte flips give a typed error or unchanged records of whole chunks, with damage reported', async () => {
  const { bytes, layout, intact } = file;
  const random = seededRandom(0x7713);
  let typedErrors = 0;
  let partial = 0;
  for (let trial = 0; trial < 300; trial++) {
    const damaged = Buffer.from(bytes);
    const flips = 1 + Math.floor(random() * 4);
    const positions = new Set<number>();
    while (positions.size < flips) positions.add(Math.floor(random() * bytes.length));
    for (const position of positions) damaged[position]! ^= 1 + Math.floor(random() * 255);
    const context = `trial ${trial}, flips at ${[...positions].join(', ')}`;
    const result = await readOrError(damaged);
    if (result instanceof SnapshotFormatError) {
      typedErrors++;
      assert.ok(['NOT_A_SNAPSHOT', 'TRUNCATED', 'HEADER_CORRUPT'].includes(result.code), `${context}: ${result.code}`);
      assert.ok(
        [...positions].some((position) => position < layout.headerEnd),
        `${context}: header error for a flip outside the header`,
      );
      continue;
    }
    assert.ok(
      [...positions].every((position) => position >= layout.headerEnd),
      `${context}: a damaged header was accepted`,
    );
    assert.equal(result.metadata, intact.metadata, context);
    assertWholeChunks(result.records, context);
    // Every byte after the header is under a checksum, so a flip there is always reported.
    assert.ok(result.damage.length > 0, `${context}: damage not reported`);
    if (result.records.length < intact.records.length) partial++;
    const strict = await readOrError(damaged, true);
    assert.instance(strict, SnapshotFormatError, context);
    assert.is((strict as SnapshotFormatError).code, 'DAMAGED', context);
  }
  // The trials reached both the header and the chunks.
  assert.ok(typedErrors > 0 && partial > 0, `typed errors ${typedErrors}, partial reads ${partial}`);
});

test('a flip inside the middle chunk loses that chunk only', async () => {
  const { bytes, layout, intact } = file;
  const [first, middle, last] = layout.chunks as [ChunkLayout, ChunkLayout, ChunkLayout];
  for (const position of [middle.offset + 20, Math.floor((middle.offset + middle.end) / 2), middle.end - 1, middle.offset + 5]) {
    const damaged = Buffer.from(bytes);
    damaged[position]! ^= 0x40;
    const { records, damage } = await readSnapshot(damaged);
    const kept = [...intact.records.slice(0, first.records), ...intact.records.slice(first.records + middle.records)];
    assert.equal(records, kept, `flip at ${position}`);
    assert.is(records.length, first.records + last.records);
    assert.is(damage.length, 1, `flip at ${position}`);
    assert.is(damage[0]!.code, 'CHUNK_CORRUPT');
    assert.is(damage[0]!.offset, middle.offset);
    assert.is(damage[0]!.records, middle.records);
  }
});

test('a damaged length field costs only its own chunk', async () => {
  const { bytes, layout, intact } = file;
  const [first] = layout.chunks as [ChunkLayout];
  for (const length of [0, 7, 0xffffffff, bytes.length]) {
    const damaged = Buffer.from(bytes);
    damaged.writeUInt32LE(length, first.offset + 4);
    const { records, damage } = await readSnapshot(damaged);
    assert.equal(records, intact.records.slice(first.records), `length ${length}`);
    assert.equal(
      damage.map((entry) => [entry.code, entry.offset, entry.records]),
      [['CHUNK_CORRUPT', first.offset, first.records]],
      `length ${length}`,
    );
  }
});

test('a whole chunk cut out cleanly, with its index block, is CHUNKS_MISSING; one repeated is CHUNK_REPEATED', async () => {
  const { bytes, layout, intact } = file;
  const [first, second, third] = layout.chunks as [ChunkLayout, ChunkLayout, ChunkLayout];
  const withoutSecond = Buffer.concat([bytes.subarray(0, second.index), bytes.subarray(second.end)]);
  const cut = await readSnapshot(withoutSecond);
  assert.equal(cut.records, [...intact.records.slice(0, first.records), ...intact.records.slice(first.records + second.records)]);
  assert.equal(
    cut.damage.map((entry) => [entry.code, entry.offset, entry.records]),
    [['CHUNKS_MISSING', third.offset - (second.end - second.index), second.records]],
  );

  const repeated = Buffer.concat([bytes.subarray(0, first.end), bytes.subarray(first.index, first.end), bytes.subarray(first.end)]);
  const twice = await readSnapshot(repeated);
  assert.equal(twice.records, intact.records);
  assert.equal(
    twice.damage.map((entry) => [entry.code, entry.offset, entry.records]),
    [['CHUNK_REPEATED', first.end + INDEX_BLOCK, undefined]],
  );
});

test('a format 1.0 file: a whole chunk cut out cleanly, or repeated, is reported through the end block totals', async () => {
  const bytes = asVersion10(file.bytes);
  const { intact } = file;
  const chunks = splitSnapshot(bytes).chunks.map((chunk) => ({
    offset: bytes.indexOf(chunk.block),
    length: chunk.block.length,
    records: chunk.records.length,
  }));
  const [first, second] = chunks as [(typeof chunks)[0], (typeof chunks)[0]];
  assert.equal((await readSnapshot(bytes, { strict: true })).records, intact.records);
  const withoutSecond = Buffer.concat([bytes.subarray(0, second.offset), bytes.subarray(second.offset + second.length)]);
  const cut = await readSnapshot(withoutSecond);
  assert.equal(cut.records.length, intact.records.length - second.records);
  assert.equal(
    cut.damage.map((entry) => [entry.code, entry.records]),
    [['CHUNKS_MISSING', second.records]],
  );

  const firstEnd = first.offset + first.length;
  const repeated = Buffer.concat([bytes.subarray(0, firstEnd), bytes.subarray(first.offset, firstEnd), bytes.subarray(firstEnd)]);
  const twice = await readSnapshot(repeated);
  assert.equal(
    twice.damage.map((entry) => entry.code),
    ['CHUNKS_MISSING'],
  );
});

/** The file with `chunk` put in as its second chunk, bound in that place, and the end block counting it. */
function afterFirstChunk(chunk: Buffer): Buffer {
  const blocks = splitSnapshot(file.bytes).chunks.map((raw) => raw.block);
  return assembleSnapshot(splitSnapshot(file.bytes), [blocks[0]!, chunk, ...blocks.slice(1)]);
}

test('a chunk that passes its checksum but does not decode is reported and skipped', async () => {
  const { layout, intact } = file;
  const [first] = layout.chunks as [ChunkLayout];
  const raw = Buffer.from('not a chunk payload at all, but compressible compressible compressible');
  const badLz4 = Buffer.from(compress(raw));
  for (let i = 4; i < badLz4.length; i++) badLz4[i] = (i * 37) & 0xff;
  const notAChunk = Buffer.from(compress(raw));
  for (const payload of [badLz4, notAChunk]) {
    const spliced = afterFirstChunk(block('TTLC', raw.length, 2, payload));
    const { records, damage } = await readSnapshot(spliced);
    assert.equal(records, intact.records);
    assert.is(damage.length, 1);
    assert.is(damage[0]!.code, 'CHUNK_UNREADABLE');
    assert.is(damage[0]!.offset, first.end + INDEX_BLOCK);
    assert.is(damage[0]!.records, 2);
    assert.ok(!damage[0]!.message.includes('undefined'), damage[0]!.message);
  }
});

test('a chunk whose size fields disagree, or whose payload has fields of the wrong types, is CHUNK_UNREADABLE', async () => {
  const { layout, intact } = file;
  const [first] = layout.chunks as [ChunkLayout];
  const wellFormed = (value: unknown) => {
    const raw = encode(value);
    return { raw: raw.length, payload: Buffer.from(compress(raw)) };
  };
  const fine = wellFormed([0, 0, [], [], []]);
  const huge = Buffer.from(fine.payload);
  huge.writeUInt32LE(0xffffffff, 0);
  const cases: Array<[string, number, Uint8Array, RegExp]> = [
    ['a payload shorter than its size prefix', 3, Buffer.from([3, 0, 0]), /size fields disagree/],
    ["a header raw length that is not the payload's", fine.raw + 1, fine.payload, /size fields disagree/],
    ['a raw length past the chunk limit', 0xffffffff, huge, /claims 4294967295 bytes, more than a reader takes/],
    ['a text base time', ...(Object.values(wellFormed(['0', 0, [], [], []])) as [number, Uint8Array]), /wrong types/],
    ['a string table with a number in it', ...(Object.values(wellFormed([0, 0, ['a', 1], [], []])) as [number, Uint8Array]), /wrong types/],
    ['records that are not an array', ...(Object.values(wellFormed([0, 0, [], [], 'records'])) as [number, Uint8Array]), /wrong types/],
  ];
  for (const [name, rawLength, payload, message] of cases) {
    const spliced = afterFirstChunk(block('TTLC', rawLength, 0, payload));
    const { records, damage } = await readSnapshot(spliced);
    assert.equal(records, intact.records, name);
    assert.is(damage.length, 1, name);
    assert.is(damage[0]!.code, 'CHUNK_UNREADABLE', name);
    assert.is(damage[0]!.offset, first.end + INDEX_BLOCK, name);
    assert.match(damage[0]!.message, message, name);
  }
  // The same empty chunk with consistent fields decodes: the cases above fail on their one change.
  const control = await readSnapshot(afterFirstChunk(block('TTLC', fine.raw, 0, fine.payload)), { strict: true });
  assert.equal(control.records, intact.records);
});

test('a valid block of a later minor version is skipped; a damaged one is damage', async () => {
  const { bytes, layout, intact } = file;
  const [first] = layout.chunks as [ChunkLayout];
  const later = block('TTLX', 1, 2, Buffer.from('a block type from a later minor version'));
  const withLater = Buffer.concat([bytes.subarray(0, first.end), later, bytes.subarray(first.end)]);
  const read = await readSnapshot(withLater, { strict: true });
  assert.equal(read.records, intact.records);
  assert.equal(read.damage, []);

  later[25]! ^= 1;
  const damaged = await readSnapshot(Buffer.concat([bytes.subarray(0, first.end), later, bytes.subarray(first.end)]));
  assert.equal(damaged.records, intact.records);
  assert.equal(
    damaged.damage.map((entry) => [entry.code, entry.offset, entry.records]),
    [['CHUNK_CORRUPT', first.end, undefined]],
  );
});

test('bytes after the end block are reported as trailing garbage', async () => {
  const { records, damage } = await readSnapshot(Buffer.concat([file.bytes, Buffer.from('garbage')]));
  assert.equal(records, file.intact.records);
  assert.equal(
    damage.map((entry) => [entry.code, entry.offset]),
    [['TRAILING_GARBAGE', file.bytes.length]],
  );
});

test('foreign files are NOT_A_SNAPSHOT', async () => {
  const random = seededRandom(42);
  const foreign: Record<string, Uint8Array> = {
    empty: new Uint8Array(0),
    png: Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex'),
    random: Uint8Array.from({ length: 4096 }, () => Math.floor(random() * 256)),
    json: Buffer.from(JSON.stringify({ records: [{ body: 'hello' }], version: 1 })),
    text: Buffer.from('TTLOG snapshot\n'),
  };
  for (const [name, bytes] of Object.entries(foreign)) {
    const result = await readOrError(bytes);
    assert.instance(result, SnapshotFormatError, name);
    assert.is((result as SnapshotFormatError).code, 'NOT_A_SNAPSHOT', name);
    const path = join(directory, `${name}.bin`);
    writeFileSync(path, bytes);
    const fromPath = await readSnapshot(path).catch((error: unknown) => error);
    assert.instance(fromPath, SnapshotFormatError, name);
    assert.is((fromPath as SnapshotFormatError).code, 'NOT_A_SNAPSHOT', name);
  }
});

test('a header value under a tag this reader does not know reads as an absent value', async () => {
  const { bytes, layout, intact } = file;
  const headerLength = bytes.readUInt32LE(12);
  const header = decode(bytes.subarray(16, 16 + headerLength)) as Record<string, unknown>;
  // A later writer's value type (tag 40199 is not in docs/format.md), next to plain values and a map.
  header.resource = ['future', new Tag('opaque', 40199), 'plain', 'kept', 'nested', new Tag(['inner', new Tag(1, 40199)], 40101)];
  const newHeader = Buffer.from(encode(header));
  const prefix = Buffer.from(bytes.subarray(0, 16));
  prefix.writeUInt32LE(newHeader.length, 12);
  const checksum = Buffer.alloc(4);
  checksum.writeUInt32LE(crc32(newHeader, crc32(prefix.subarray(8, 16))));
  const rebuilt = Buffer.concat([prefix, newHeader, checksum, bytes.subarray(layout.headerEnd)]);
  const snapshot = await readSnapshot(rebuilt);
  assert.equal(snapshot.damage, []);
  assert.equal(snapshot.records, intact.records);
  assert.equal(Object.keys(snapshot.metadata.resource), ['future', 'plain', 'nested']);
  assert.is(snapshot.metadata.resource.future, undefined);
  assert.is(snapshot.metadata.resource.plain, 'kept');
  assert.equal(snapshot.metadata.resource.nested, { inner: undefined });
});

test('a header that passes its checksum but is not a CBOR map is HEADER_CORRUPT', async () => {
  const { bytes, layout } = file;
  const withHeader = (header: Uint8Array) => {
    const prefix = Buffer.from(bytes.subarray(0, 16));
    prefix.writeUInt32LE(header.length, 12);
    const checksum = Buffer.alloc(4);
    checksum.writeUInt32LE(crc32(header, crc32(prefix.subarray(8, 16))));
    return Buffer.concat([prefix, header, checksum, bytes.subarray(layout.headerEnd)]);
  };
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['a CBOR array head with no items', Buffer.from([0x9a, 0xff, 0xff, 0xff, 0xff]), /does not decode/],
    ['a reserved CBOR byte', Buffer.from([0x1c]), /does not decode/],
    ['a number', Buffer.from(encode(42)), /not a map/],
    ['null', Buffer.from(encode(null)), /not a map/],
  ];
  for (const [name, header, message] of cases) {
    const result = await readOrError(withHeader(header));
    assert.instance(result, SnapshotFormatError, name);
    assert.is((result as SnapshotFormatError).code, 'HEADER_CORRUPT', name);
    assert.match((result as SnapshotFormatError).message, message, name);
  }
});

test('a future major version is UNSUPPORTED_VERSION; a newer minor version is read', async () => {
  const major = Buffer.from(file.bytes);
  major.writeUInt16LE(2, 8);
  resealHeader(major);
  const error = await readOrError(major);
  assert.instance(error, SnapshotFormatError);
  assert.is((error as SnapshotFormatError).code, 'UNSUPPORTED_VERSION');
  assert.match((error as SnapshotFormatError).message, /2\.2/);

  const minor = Buffer.from(file.bytes);
  minor.writeUInt16LE(7, 10);
  resealHeader(minor);
  const snapshot = await readSnapshot(minor);
  assert.equal(snapshot.metadata.formatVersion, { major: 1, minor: 7 });
  assert.equal(snapshot.records, file.intact.records);

  // Without the re-sealed checksum the same patch is a damaged header, not a version question.
  const unsealed = Buffer.from(file.bytes);
  unsealed.writeUInt16LE(2, 8);
  assert.is(((await readOrError(unsealed)) as SnapshotFormatError).code, 'HEADER_CORRUPT');
});

test('an implausible header length is HEADER_CORRUPT, one past the end is TRUNCATED', async () => {
  const huge = Buffer.from(file.bytes);
  huge.writeUInt32LE(0x7fffffff, 12);
  assert.is(((await readOrError(huge)) as SnapshotFormatError).code, 'HEADER_CORRUPT');
  const long = Buffer.from(file.bytes);
  long.writeUInt32LE(file.bytes.length, 12);
  assert.is(((await readOrError(long)) as SnapshotFormatError).code, 'TRUNCATED');
});

test('strict mode turns damage into DAMAGED and leaves intact files alone', async () => {
  const { bytes, layout } = file;
  assert.equal((await readSnapshot(bytes, { strict: true })).records, file.intact.records);
  const cut = await readOrError(bytes.subarray(0, layout.endBlock), true);
  assert.instance(cut, SnapshotFormatError);
  assert.is((cut as SnapshotFormatError).code, 'DAMAGED');
  const flipped = Buffer.from(bytes);
  flipped[layout.chunks[1]!.offset + 30]! ^= 1;
  const error = (await readOrError(flipped, true)) as SnapshotFormatError;
  assert.is(error.code, 'DAMAGED');
  assert.is(error.offset, layout.chunks[1]!.offset);

  // Streaming strictly yields what it can, then throws at the end.
  const streamed: SnapshotRecord[] = [];
  const thrown = await (async () => {
    for await (const record of iterateSnapshot(flipped, { strict: true })) streamed.push(record);
  })().catch((caught: unknown) => caught);
  assert.instance(thrown, SnapshotFormatError);
  assert.is((thrown as SnapshotFormatError).code, 'DAMAGED');
  assert.is(streamed.length, file.intact.records.length - layout.chunks[1]!.records);
});

test('iterateSnapshot and openSnapshot stream the records readSnapshot returns, from a path or bytes', async () => {
  const { path, bytes, intact } = file;
  assert.equal(await readSnapshot(path), intact);
  for (const source of [path, bytes, new Uint8Array(bytes)]) {
    const iterated: SnapshotRecord[] = [];
    for await (const record of iterateSnapshot(source)) iterated.push(record);
    assert.equal(iterated, intact.records);

    const reader = await openSnapshot(source);
    assert.equal(reader.metadata, intact.metadata);
    const streamed: SnapshotRecord[] = [];
    for await (const record of reader.records()) streamed.push(record);
    assert.equal(streamed, intact.records);
    assert.equal(reader.damage, []);
    await reader.close();
  }
});

test('chunks() yields each intact chunk as one array, in file order, the records records() yields', async () => {
  const { path, bytes, layout, intact } = file;
  for (const source of [path, bytes]) {
    const reader = await openSnapshot(source);
    const chunks: SnapshotRecord[][] = [];
    for await (const chunk of reader.chunks()) chunks.push(chunk);
    assert.equal(
      chunks.map((chunk) => chunk.length),
      layout.chunks.map((chunk) => chunk.records),
    );
    assert.equal(chunks.flat(), intact.records);
    assert.equal(reader.damage, []);
  }
  // A damaged chunk is left out whole; the others come as they are.
  const damaged = Buffer.from(bytes);
  damaged[layout.chunks[1]!.offset + 40]! ^= 0xff;
  const reader = await openSnapshot(damaged);
  const sizes: number[] = [];
  for await (const chunk of reader.chunks()) sizes.push(chunk.length);
  assert.equal(
    sizes,
    layout.chunks.filter((_, index) => index !== 1).map((chunk) => chunk.records),
  );
  assert.equal(
    reader.damage.map((entry) => [entry.code, entry.records]),
    [['CHUNK_CORRUPT', layout.chunks[1]!.records]],
  );
});

test('chunks({ maxRecords }) yields the same records in arrays of at most that many, a chunk at a time', async () => {
  const { path, bytes, layout, intact } = file;
  for (const source of [path, bytes]) {
    for (const maxRecords of [1, 2, 3, 1000]) {
      const reader = await openSnapshot(source);
      const sizes: number[] = [];
      const records: SnapshotRecord[] = [];
      for await (const slice of reader.chunks({ maxRecords })) {
        sizes.push(slice.length);
        records.push(...slice);
      }
      const expected = layout.chunks.flatMap((chunk) => {
        const slices = Array.from({ length: Math.floor(chunk.records / maxRecords) }, () => maxRecords);
        return chunk.records % maxRecords === 0 ? slices : [...slices, chunk.records % maxRecords];
      });
      assert.equal(sizes, expected, `maxRecords ${maxRecords}`);
      assert.equal(records, intact.records, `maxRecords ${maxRecords}`);
      assert.equal(reader.damage, []);
    }
  }
  const reader = await openSnapshot(bytes);
  for (const maxRecords of [0, -1, Number.NaN])
    assert.throws(
      () => reader.chunks({ maxRecords }),
      (error: unknown) => error instanceof RangeError,
      `maxRecords ${maxRecords}`,
    );
  assert.equal((await readInSlices(bytes, 1.5)).records, intact.records);
});

/** The file with its last chunk's payload replaced by `raw` (compressed, in a block with a correct CRC). */
function withLastChunkRaw(raw: Uint8Array): Buffer {
  const { bytes, layout } = file;
  const last = layout.chunks[layout.chunks.length - 1]!;
  return replaceChunk(bytes, layout.chunks.length - 1, block('TTLC', raw.length, last.records, compress(raw)));
}

async function readInSlices(bytes: Buffer, maxRecords: number): Promise<{ records: SnapshotRecord[]; damage: string[] }> {
  const reader = await openSnapshot(bytes);
  const records: SnapshotRecord[] = [];
  for await (const slice of reader.chunks({ maxRecords })) records.push(...slice);
  return { records, damage: reader.damage.map((entry) => `${entry.code} ${entry.offset} ${entry.records}`) };
}

test('a chunk read in slices that fails to decode near its end yields none of its records', async () => {
  const { layout, intact } = file;
  const last = layout.chunks[layout.chunks.length - 1]!;
  const before = intact.records.slice(0, intact.records.length - last.records);
  // The last chunk's payload as CBOR items, re-encoded with its last record replaced.
  const [seconds, nanos, strings, scopes, records] = createCborDecoder().decode(splitSnapshot(file.bytes).chunks.at(-1)!.raw) as [
    number,
    number,
    string[],
    unknown[],
    unknown[][],
  ];
  const payload = (lastRecord: unknown) => createCborEncoder().encode([seconds, nanos, strings, scopes, [...records.slice(0, -1), lastRecord]]);
  let nested: unknown = 1;
  for (let depth = 0; depth < 70; depth++) nested = [nested];
  const withBody = (body: unknown) => [...records.at(-1)!.slice(0, 6), body, ...records.at(-1)!.slice(7)];
  // CBOR that cbor-x does not write, spliced in as the last record's body in place of a marker text.
  const marker = 'a body to be replaced';
  const withRawBody = (item: number[]) => {
    const encoded = Buffer.from(payload(withBody(marker)));
    const at = encoded.indexOf(marker) - 1;
    return Buffer.concat([encoded.subarray(0, at), Buffer.from(item), encoded.subarray(at + 1 + marker.length)]);
  };
  const broken: Array<[string, Uint8Array]> = [
    ['too few fields', payload(records.at(-1)!.slice(0, 12))],
    ['a time delta that is text', payload([records.at(-1)![0], 'soon', ...records.at(-1)!.slice(2)])],
    ['a body nested past the limit', payload(withBody(nested))],
    ['an indefinite-length text with a part that is a number', withRawBody([0x7f, 0x61, 0x61, 0x01, 0xff])],
    ['an indefinite-length text with an indefinite part', withRawBody([0x7f, 0x7f, 0x61, 0x61, 0xff, 0xff])],
    ['a tag on a tag', withRawBody([0xc1, 0xc1, 0x00])],
  ];
  for (const [name, raw] of broken) {
    const damaged = withLastChunkRaw(raw);
    for (const maxRecords of [1, 3, 1000]) {
      const read = await readInSlices(damaged, maxRecords);
      assert.equal(read.records, before, `${name}, maxRecords ${maxRecords}`);
      assert.equal(read.damage, [`CHUNK_UNREADABLE ${last.offset} ${last.records}`], `${name}, maxRecords ${maxRecords}`);
    }
  }
  // The same re-encoding with the last record intact reads whole: each case fails on its one change.
  const control = await readInSlices(withLastChunkRaw(payload(records.at(-1))), 1);
  assert.equal(control.records, intact.records);
  assert.equal(control.damage, []);
  // An indefinite-length text made of definite parts is well-formed CBOR and reads as their text.
  const parts = await readInSlices(withLastChunkRaw(withRawBody([0x7f, 0x61, 0x61, 0x62, 0x62, 0x63, 0xff])), 1);
  assert.equal(parts.records.at(-1)!.body, 'abc');
  assert.equal(parts.damage, []);
});

test('random byte changes in a chunk that keeps its checksum read the same in slices as whole', async () => {
  const raw = splitSnapshot(file.bytes).chunks.at(-1)!.raw;
  const random = seededRandom(0x51ce);
  let unreadable = 0;
  for (let trial = 0; trial < 400; trial++) {
    const changed = Buffer.from(raw);
    const changes = 1 + Math.floor(random() * 3);
    for (let i = 0; i < changes; i++) changed[Math.floor(random() * changed.length)] = Math.floor(random() * 256);
    const damaged = withLastChunkRaw(changed);
    const whole = await readInSlices(damaged, Infinity);
    const sliced = await readInSlices(damaged, 1);
    assert.equal(sliced, whole, `trial ${trial}`);
    if (whole.damage.length > 0) unreadable++;
  }
  // Both outcomes occur, so the comparison covers chunks that decode and chunks that do not.
  assert.ok(unreadable > 40 && unreadable < 360, `${unreadable} of 400 changed chunks did not decode`);
});

test('last(n) returns the last n records, for every n from none to more than the file holds', async () => {
  const { path, bytes, intact } = file;
  const total = intact.records.length;
  assert.ok(file.layout.chunks.length >= 3, 'the file spans several chunks');
  for (const source of [path, bytes]) {
    for (let count = 0; count <= total + 2; count++) {
      const reader = await openSnapshot(source);
      assert.equal(await reader.last(count), intact.records.slice(total - Math.min(count, total)), `last ${count}`);
      assert.equal(reader.damage, [], `last ${count}`);
    }
  }
});

test('last(n) still checks every block: damage before the tail is reported, damage in it costs its records', async () => {
  const { bytes, layout, intact } = file;
  const chunks = layout.chunks;
  const lastChunk = chunks[chunks.length - 1]!;

  const early = Buffer.from(bytes);
  early[chunks[0]!.offset + 40]! ^= 0xff;
  const earlyReader = await openSnapshot(early);
  assert.equal(await earlyReader.last(lastChunk.records), intact.records.slice(-lastChunk.records));
  assert.equal(
    earlyReader.damage.map((entry) => [entry.code, entry.offset]),
    [['CHUNK_CORRUPT', chunks[0]!.offset]],
  );
  const strict = await openSnapshot(early, { strict: true });
  const thrown = await strict.last(1).catch((caught: unknown) => caught);
  assert.instance(thrown, SnapshotFormatError);
  assert.is((thrown as SnapshotFormatError).code, 'DAMAGED');

  // The last chunk damaged: the tail is what records() would end with.
  const late = Buffer.from(bytes);
  late[lastChunk.offset + 40]! ^= 0xff;
  const survivors = (await readSnapshot(late)).records;
  const lateReader = await openSnapshot(late);
  assert.equal(await lateReader.last(3), survivors.slice(-3));
  assert.equal(
    lateReader.damage.map((entry) => entry.code),
    ['CHUNK_CORRUPT'],
  );

  // A whole chunk cut out leaves every block intact; the end block's totals tell.
  const cut = Buffer.concat([bytes.subarray(0, chunks[0]!.offset), bytes.subarray(chunks[0]!.end)]);
  const cutReader = await openSnapshot(cut);
  assert.equal(await cutReader.last(1), intact.records.slice(-1));
  assert.equal(
    cutReader.damage.map((entry) => [entry.code, entry.records]),
    [['CHUNKS_MISSING', chunks[0]!.records]],
  );
});

test('last(n) passes over a tail chunk that passes its checksum but does not decode', async () => {
  const { bytes, layout, intact } = file;
  const raw = Buffer.from('not a chunk payload at all, but compressible compressible compressible');
  // Appended as a last chunk of 2 records, bound in its place, with the end block's totals updated to count it.
  const split = splitSnapshot(bytes);
  const spliced = assembleSnapshot(split, [...split.chunks.map((chunk) => chunk.block), block('TTLC', raw.length, 2, Buffer.from(compress(raw)))]);
  const reader = await openSnapshot(spliced);
  assert.equal(await reader.last(4), intact.records.slice(-4));
  assert.equal(
    reader.damage.map((entry) => [entry.code, entry.offset, entry.records]),
    [['CHUNK_UNREADABLE', layout.endIndex + INDEX_BLOCK, 2]],
  );
});

test('openSnapshot reports damage once its records have been read', async () => {
  const damaged = Buffer.from(file.bytes);
  damaged[file.layout.chunks[0]!.offset + 40]! ^= 0xff;
  const reader = await openSnapshot(damaged);
  assert.equal(reader.damage, []);
  let count = 0;
  for await (const _ of reader.records()) count++;
  assert.is(count, file.intact.records.length - file.layout.chunks[0]!.records);
  assert.equal(
    reader.damage.map((entry) => entry.code),
    ['CHUNK_CORRUPT'],
  );
});

test('stopping early, or closing without reading, releases the file', async () => {
  for (let i = 0; i < 3; i++) {
    for await (const record of iterateSnapshot(file.path)) {
      assert.is(record.seq, 0);
      break;
    }
    const reader = await openSnapshot(file.path);
    await reader.close();
  }
  // The file can still be read and removed: nothing holds it in a bad state.
  assert.equal((await readSnapshot(file.path)).records, file.intact.records);
});

test('header errors from a path close the file and keep their code', async () => {
  const path = join(directory, 'header.bin');
  writeFileSync(path, file.bytes.subarray(0, 30));
  for (let i = 0; i < 3; i++) {
    const error = await openSnapshot(path).catch((caught: unknown) => caught);
    assert.instance(error, SnapshotFormatError);
    assert.is((error as SnapshotFormatError).code, 'TRUNCATED');
    assert.is((error as SnapshotFormatError).name, 'SnapshotFormatError');
    assert.match((error as SnapshotFormatError).message, /TRUNCATED at byte 30/);
  }
});

test.after(() => rmSync(directory, { recursive: true, force: true }));

test.run();
