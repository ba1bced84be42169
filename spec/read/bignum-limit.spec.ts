/**
 * A file that carries a bignum longer than the format allows (docs/format.md, "Limits a reader
 * enforces") is damage, found before any bigint is built from it: in a chunk the chunk is
 * unreadable, in the header the file is. Such a bignum, decoded a byte at a time, once held a
 * reader for minutes; here each read must simply finish (the runner's timeout is the bound).
 */

import { compress } from 'lz4-wasm-nodejs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CHUNK_MAGIC, encodeBlock, encodeFilePrefix } from '../../src/format/file-format.ts';
import { readSnapshot, SnapshotFormatError } from '../../src/index.ts';
import { recordWithResource } from '../support/record-with-resource.ts';
import { snapshotBytes } from '../support/snapshot-bytes.ts';
import { assembleSnapshot, splitSnapshot } from '../support/snapshot-chunks.ts';

/** 2n ** 70n as the writer stores it: tag 2 around the 9 bytes 40 00 … 00. */
const SMALL_BIGNUM = Buffer.from([0xc2, 0x49, 0x40, 0, 0, 0, 0, 0, 0, 0, 0]);
const CRAFTED_BYTES = 256 * 1024;

/** Tag 2 around a byte string of `length` bytes: the bignum 2^(8 × length) − 1. */
function bignum(length: number): Buffer {
  const head = Buffer.alloc(6);
  head[0] = 0xc2;
  head[1] = 0x5a;
  head.writeUInt32BE(length, 2);
  return Buffer.concat([head, Buffer.alloc(length, 0xff)]);
}

/** `bytes` with its one occurrence of SMALL_BIGNUM replaced by `replacement`. */
function replaceBignum(bytes: Buffer, replacement: Buffer): Buffer {
  const at = bytes.indexOf(SMALL_BIGNUM);
  assert.ok(at >= 0 && bytes.indexOf(SMALL_BIGNUM, at + 1) < 0, 'the bignum occurs once');
  return Buffer.concat([bytes.subarray(0, at), replacement, bytes.subarray(at + SMALL_BIGNUM.length)]);
}

/** A real snapshot whose resource and one record's body hold 2n ** 70n. */
function writeSnapshot(): Promise<Buffer> {
  return snapshotBytes({ serviceName: 'bignum' }, (provider, processor) => {
    // The 3.x SDK may drop bigint resource attributes, so the first record (whose resource the
    // header keeps) is handed to the processor as the SDK would, with a resource that has one.
    processor.onEmit(recordWithResource('first', { 'big.value': 2n ** 70n }) as never);
    const logger = provider.getLogger('bignum');
    for (const body of ['before', 2n ** 70n, 'after']) logger.emit({ body } as never);
  });
}

/** The file with its chunk's bignum replaced by `replacement`, the chunk block re-sealed. */
function withChunkBignum(file: Buffer, replacement: Buffer): Buffer {
  const split = splitSnapshot(file);
  assert.is(split.chunks.length, 1);
  const raw = replaceBignum(split.chunks[0]!.raw, replacement);
  return assembleSnapshot(split, [encodeBlock(CHUNK_MAGIC, raw.length, split.chunks[0]!.records.length, compress(raw))]);
}

/** The file with its header's bignum replaced by `replacement`, the prefix re-sealed. */
function withHeaderBignum(file: Buffer, replacement: Buffer): Buffer {
  const { prefix, header } = splitSnapshot(file);
  return Buffer.concat([encodeFilePrefix(replaceBignum(Buffer.from(header), replacement)), file.subarray(prefix.length)]);
}

test('the unchanged file reads the bignum back', async () => {
  const snapshot = await readSnapshot(await writeSnapshot());
  assert.equal(snapshot.damage, []);
  assert.equal(
    snapshot.records.map((record) => record.body),
    ['first', 'before', 2n ** 70n, 'after'],
  );
  assert.is(snapshot.metadata.resource['big.value'], 2n ** 70n);
});

test('a chunk with a 256 KiB bignum is CHUNK_UNREADABLE; strict reading throws DAMAGED', async () => {
  const file = await writeSnapshot();
  const crafted = withChunkBignum(file, bignum(CRAFTED_BYTES));
  // Small on disk: the bignum's bytes compress to almost nothing.
  assert.ok(crafted.length < 4096, `${crafted.length} bytes`);
  const snapshot = await readSnapshot(crafted);
  assert.equal(snapshot.records, []);
  assert.equal(
    snapshot.damage.map((damage) => [damage.code, damage.records]),
    [['CHUNK_UNREADABLE', 4]],
  );
  assert.match(snapshot.damage[0]!.message, /bignum longer than 1024 bytes/);
  try {
    await readSnapshot(crafted, { strict: true });
    assert.unreachable('strict reading throws');
  } catch (error) {
    assert.instance(error, SnapshotFormatError);
    assert.is((error as SnapshotFormatError).code, 'DAMAGED');
  }
});

test('a chunk bignum at the limit reads back; one byte more is damage', async () => {
  const file = await writeSnapshot();
  const atLimit = await readSnapshot(withChunkBignum(file, bignum(1024)));
  assert.equal(atLimit.damage, []);
  assert.is(atLimit.records[2]!.body, 2n ** 8192n - 1n);
  const past = await readSnapshot(withChunkBignum(file, bignum(1025)));
  assert.equal(
    past.damage.map((damage) => damage.code),
    ['CHUNK_UNREADABLE'],
  );
});

test('a header with a 256 KiB bignum is HEADER_CORRUPT', async () => {
  const crafted = withHeaderBignum(await writeSnapshot(), bignum(CRAFTED_BYTES));
  try {
    await readSnapshot(crafted);
    assert.unreachable('the header is refused');
  } catch (error) {
    assert.instance(error, SnapshotFormatError);
    assert.is((error as SnapshotFormatError).code, 'HEADER_CORRUPT');
  }
});

test.run();
