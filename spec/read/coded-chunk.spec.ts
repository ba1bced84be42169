import * as zlib from 'node:zlib';
import { compress } from 'lz4-wasm-nodejs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CODED_CHUNK_MAGIC, encodeBlock } from '../../src/format/file-format.ts';
import { openSnapshot, readSnapshot } from '../../src/index.ts';
import { snapshotBytes } from '../support/snapshot-bytes.ts';
import { assembleSnapshot, splitSnapshot } from '../support/snapshot-chunks.ts';

const hasZstd = typeof (zlib as { zstdDecompressSync?: unknown }).zstdDecompressSync === 'function';

/** A real snapshot of two chunks: two large records close the first. */
function writeSnapshot(): Promise<Buffer> {
  return snapshotBytes({ serviceName: 'coded', ring: { capacity: 8, maxRecordBytes: 320 * 1024 } }, (provider) => {
    const logger = provider.getLogger('coded');
    logger.emit({ body: `first ${'a'.repeat(300 * 1024)}`, attributes: { 'request.id': '0123456789abcdef' } });
    logger.emit({ body: `second ${'b'.repeat(300 * 1024)}` });
    logger.emit({ body: 'in the second chunk', attributes: { 'user.uuid': '123e4567-e89b-42d3-a456-426614174000' } });
  });
}

const original = await writeSnapshot();
const split = splitSnapshot(original);
const intact = await readSnapshot(original);
const [first, second] = split.chunks;

/** A coded chunk block claiming `rawLength` bytes and `records` records: the codec byte, then `compressed`. */
function codedBlock(codec: number, compressed: Uint8Array, rawLength = second!.raw.length, records = second!.records.length): Buffer {
  return encodeBlock(CODED_CHUNK_MAGIC, rawLength, records, Buffer.concat([Buffer.from([codec]), compressed]));
}

/** The snapshot with its second chunk replaced by `block`, bound in its place. */
function withSecond(block: Buffer): Buffer {
  return assembleSnapshot(split, [first!.block, block]);
}

/** Reads `file` whole, last-n and through cursors; each must give the first chunk's records and one CHUNK_UNREADABLE matching `message`. */
async function expectUnreadable(file: Buffer, message: RegExp): Promise<void> {
  const firstRecords = intact.records.slice(0, first!.records.length);
  const { records, damage } = await readSnapshot(file);
  assert.equal(records, firstRecords);
  assert.equal(
    damage.map((entry) => [entry.code, entry.records]),
    [['CHUNK_UNREADABLE', second!.records.length]],
  );
  assert.match(damage[0]!.message, message);
  const last = await openSnapshot(file);
  assert.equal(await last.last(intact.records.length), firstRecords);
  assert.equal(
    last.damage.map((entry) => entry.code),
    ['CHUNK_UNREADABLE'],
  );
  const cursors = await openSnapshot(file);
  let chunks = 0;
  for await (const _ of cursors.cursors(() => chunks++));
  assert.is(chunks, 1);
  assert.equal(
    cursors.damage.map((entry) => entry.code),
    ['CHUNK_UNREADABLE'],
  );
}

test('the writer writes coded chunks, whose packed ids read back as the text logged', () => {
  assert.equal(intact.damage, []);
  assert.is(intact.records.length, 3);
  assert.is(intact.records[0]!.attributes['request.id'], '0123456789abcdef');
  assert.is(intact.records[2]!.attributes['user.uuid'], '123e4567-e89b-42d3-a456-426614174000');
  for (const chunk of split.chunks) assert.equal(chunk.block.subarray(0, 4), CODED_CHUNK_MAGIC);
});

test('a coded chunk of each codec reads as the same records', async () => {
  const raw = second!.raw;
  const expected = intact.records;
  for (const [name, block] of [
    ['lz4', codedBlock(0, compress(raw))],
    ['deflate', codedBlock(1, zlib.deflateRawSync(raw))],
  ] as const) {
    const read = await readSnapshot(withSecond(block), { strict: true });
    assert.equal(read.records, expected, name);
  }
});

test('a codec id no reader knows, or no codec byte at all, is CHUNK_UNREADABLE', async () => {
  await expectUnreadable(withSecond(codedBlock(9, zlib.deflateRawSync(second!.raw))), /names codec 9, which this reader does not know/);
  await expectUnreadable(withSecond(encodeBlock(CODED_CHUNK_MAGIC, second!.raw.length, second!.records.length, new Uint8Array(0))), /names codec none/);
});

test('a DEFLATE bomb stops at the raw length its block claims: CHUNK_UNREADABLE', async () => {
  // 64 MiB of zeros deflate to about 64 KB; the block claims the second chunk's few hundred bytes.
  const bomb = zlib.deflateRawSync(Buffer.alloc(64 * 1024 * 1024));
  assert.ok(bomb.length < 128 * 1024);
  await expectUnreadable(withSecond(codedBlock(1, bomb)), /does not decompress to its \d+ bytes/);
  // Claiming more bounds the work all the same: the output stops at the claim.
  const claimed = codedBlock(1, bomb, 16 * 1024 * 1024, 1);
  const { damage } = await readSnapshot(withSecond(claimed));
  assert.equal(
    damage.map((entry) => entry.code),
    ['CHUNK_UNREADABLE'],
  );
});

test('a coded chunk that decompresses to fewer bytes than it claims, or does not decompress, is CHUNK_UNREADABLE', async () => {
  const raw = second!.raw;
  await expectUnreadable(withSecond(codedBlock(1, zlib.deflateRawSync(raw.subarray(0, raw.length - 1)))), /decompresses to \d+ bytes, not its \d+/);
  await expectUnreadable(withSecond(codedBlock(1, Buffer.from('not deflate at all'))), /does not decompress/);
  await expectUnreadable(withSecond(codedBlock(0, Buffer.from([1, 2, 3]))), /size fields disagree/);
});

/** One Zstandard frame (RFC 8878) of `raw` in raw blocks, made by hand so that a Node without zstd can write it too. */
function zstdFrame(blocks: Array<{ rle: boolean; bytes: Uint8Array; size: number }>): Buffer {
  // Frame header descriptor 0: no checksum, no content size, one window descriptor byte (8 MiB window).
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x68])];
  blocks.forEach((block, i) => {
    const head = (i === blocks.length - 1 ? 1 : 0) | ((block.rle ? 1 : 0) << 1) | (block.size << 3);
    parts.push(Buffer.from([head & 0xff, (head >>> 8) & 0xff, (head >>> 16) & 0xff]), Buffer.from(block.bytes));
  });
  return Buffer.concat(parts);
}

test('a zstd chunk reads where node:zlib has zstd and is CHUNK_UNREADABLE, saying why, where it has not', async () => {
  const raw = second!.raw;
  const file = withSecond(codedBlock(2, zstdFrame([{ rle: false, bytes: raw, size: raw.length }])));
  if (hasZstd) assert.equal((await readSnapshot(file, { strict: true })).records, intact.records);
  else await expectUnreadable(file, /zstd-compressed and this Node has no zstd/);
});

test('a zstd bomb (run-length blocks of 128 KiB from one byte each) stops at the raw length its block claims', async () => {
  const block = { rle: true, bytes: new Uint8Array([0]), size: 128 * 1024 };
  const bomb = zstdFrame(new Array(512).fill(block));
  assert.ok(bomb.length < 4096);
  await expectUnreadable(withSecond(codedBlock(2, bomb)), hasZstd ? /does not decompress to its \d+ bytes/ : /has no zstd/);
});

test.run();
