/**
 * The exporter's `codec` option (docs/format.md, "Chunk payload"): every codec's file reads back
 * the records that were logged, each chunk names its codec in its first payload byte, the chunks'
 * CBOR is plain CBOR that cbor-x decodes, and the denser codecs make smaller files. `zstd` where
 * this Node lacks it writes `deflate` and says so.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { decode } from 'cbor-x';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BLOCK_HEADER_BYTES, CODED_CHUNK_MAGIC } from '../../src/format/file-format.ts';
import { readSnapshot, type SnapshotCodec, SnapshotExporter, TTLogProcessor } from '../../src/index.ts';
import { ttlogWarningsDuring } from '../support/diag-messages.ts';
import { withEnv } from '../support/env-vars.ts';
import { otel } from '../support/otel.ts';
import { splitSnapshot } from '../support/snapshot-chunks.ts';

const hasZstd = typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === 'function';
/** The codec byte each codec writes. */
const CODEC_BYTES: Record<SnapshotCodec, number> = { lz4: 0, deflate: 1, zstd: 2 };

const RECORDS = 5000;
const idOf = (i: number) => (BigInt(i + 1) * 0x9e3779b97f4a7c15n).toString(16).padStart(16, '0').slice(-16);
const uuidOf = (i: number) =>
  `${idOf(i).slice(0, 8)}-${idOf(i).slice(8, 12)}-4${idOf(i).slice(13, 16)}-8${idOf(i + 7).slice(1, 4)}-${idOf(i + 7).slice(4, 16)}`;
const attributesOf = (i: number) => ({
  'http.route': ['/a', '/b', '/c'][i % 3]!,
  'request.id': idOf(i),
  'trace.like': `${idOf(i)}${idOf(i + 1)}`,
  'user.uuid': uuidOf(i),
  // Not packed: upper case, odd length, too short, or a dash out of place; each must read back as it was.
  'upper.hex': idOf(i).toUpperCase(),
  'odd.hex': idOf(i).slice(1),
  'short.hex': idOf(i).slice(0, 14),
  'not.uuid': `${uuidOf(i).slice(0, 8)}x${uuidOf(i).slice(9)}`,
  'hex.list': [idOf(i + 2_000_000), 'text'],
  'hex.body': i,
});
// Each id is logged once: a value seen again is stored as a string reference instead (docs/format.md, "Values").
const bodyOf = (i: number) => (i % 2 === 0 ? idOf(i + 1_000_000) : 'plain body');

/** A snapshot of the same records written with `codec`; its bytes and what reading it returns. */
async function snapshotWith(options: { codec?: SnapshotCodec }): Promise<{ file: Buffer; exporter: SnapshotExporter }> {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-'));
  try {
    const exporter = new SnapshotExporter({ directory, serviceName: 'codec', ...options });
    const processor = new TTLogProcessor({ exporter, capacity: 8192 });
    const provider = new otel.LoggerProvider({ processors: [processor as never] });
    const logger = provider.getLogger('codec', '1.0.0');
    for (let i = 0; i < RECORDS; i++) logger.emit({ severityNumber: 9, body: bodyOf(i), attributes: attributesOf(i) });
    const path = await processor.snapshot();
    await provider.shutdown();
    return { file: readFileSync(path), exporter };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

const sizes: Partial<Record<SnapshotCodec, number>> = {};

for (const codec of ['lz4', 'deflate', 'zstd'] as const) {
  test(`codec '${codec}': the records read back as logged, and every chunk names its codec`, async () => {
    let written: { file: Buffer; exporter: SnapshotExporter } | undefined;
    const warnings = await ttlogWarningsDuring(async () => {
      written = await snapshotWith({ codec });
    });
    const { file, exporter } = written!;
    const used = codec === 'zstd' && !hasZstd ? 'deflate' : codec;
    assert.is(exporter.codec, used);
    if (used === codec) assert.equal(warnings, []);
    else {
      assert.is(warnings.length, 1);
      assert.match(warnings[0]!, /codec 'zstd' needs a Node whose node:zlib has zstd.*writing 'deflate' instead/);
    }
    sizes[codec] = file.length;

    const { records, damage, metadata } = await readSnapshot(file);
    assert.equal(damage, []);
    assert.equal(metadata.formatVersion, { major: 1, minor: 2 });
    assert.is(records.length, RECORDS);
    records.forEach((record, i) => {
      assert.equal(record.attributes, attributesOf(i));
      assert.is(record.body, bodyOf(i));
    });

    const split = splitSnapshot(file);
    assert.ok(split.chunks.length >= 2, `${split.chunks.length} chunks`);
    for (const chunk of split.chunks) {
      assert.equal(chunk.block.subarray(0, 4), CODED_CHUNK_MAGIC);
      assert.is(chunk.block[BLOCK_HEADER_BYTES], CODEC_BYTES[used]);
      // Plain CBOR: a general decoder reads the chunk, the packed ids as tags 40102 and 40103 around their bytes.
      const [, , , , plain] = decode(chunk.raw) as [number, number, string[], unknown[], unknown[][]];
      assert.is(plain.length, chunk.records.length);
    }
    const first = split.chunks[0]!.records[0]!;
    const attributes = first[7] as unknown[];
    const packed = (key: string) =>
      attributes[attributes.findIndex((item) => split.chunks[0]!.strings[item as number] === key) + 1] as { tag: number; value: Uint8Array };
    assert.is(packed('request.id').tag, 40102);
    assert.equal(Buffer.from(packed('request.id').value).toString('hex'), idOf(0));
    assert.is(packed('user.uuid').tag, 40103);
    assert.is(packed('user.uuid').value.length, 16);
    assert.is(packed('upper.hex') as unknown, idOf(0).toUpperCase());
  });
}

test('deflate and zstd files are smaller than LZ4 files of the same records', () => {
  assert.ok(sizes.deflate! < sizes.lz4!, `deflate ${sizes.deflate} B, lz4 ${sizes.lz4} B`);
  assert.ok(sizes.zstd! < sizes.lz4!, `zstd ${sizes.zstd} B, lz4 ${sizes.lz4} B`);
});

test('TTLOG_SNAPSHOT_CODEC sets the codec; the option given in code wins; a name that is no codec is ignored with a warning', async () => {
  await withEnv({ TTLOG_SNAPSHOT_CODEC: 'Deflate' }, async () => {
    assert.is(new SnapshotExporter({ directory: tmpdir() }).codec, 'deflate');
    assert.is(new SnapshotExporter({ directory: tmpdir(), codec: 'lz4' }).codec, 'lz4');
  });
  await withEnv({ TTLOG_SNAPSHOT_CODEC: 'brotli' }, async () => {
    const warnings = await ttlogWarningsDuring(() => assert.is(new SnapshotExporter({ directory: tmpdir() }).codec, 'lz4'));
    assert.equal(warnings, ['ttlog: TTLOG_SNAPSHOT_CODEC="brotli" ignored: it takes lz4, deflate or zstd']);
  });
  assert.is(new SnapshotExporter({ directory: tmpdir() }).codec, 'lz4');
});

test('a codec option that is no codec is a RangeError naming the codecs', () => {
  assert.throws(
    () => new SnapshotExporter({ directory: tmpdir(), codec: 'gzip' as SnapshotCodec }),
    (error: unknown) => {
      return error instanceof RangeError && /codec must be one of lz4, deflate, zstd, got "gzip"/.test(error.message);
    },
  );
});

test.run();
