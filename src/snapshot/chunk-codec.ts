/**
 * A chunk's CBOR → the payload of a coded chunk block (docs/format.md, "Chunk payload"): the
 * codec byte, then the bytes compressed with that codec. LZ4 is the default for its speed on the
 * snapshot path; DEFLATE (every platform's zlib) and Zstandard (where `node:zlib` has it) trade
 * CPU for smaller files, chosen per exporter.
 */
import * as zlib from 'node:zlib';
import { diag } from '@opentelemetry/api';
import { compress } from 'lz4-wasm-nodejs';
import { CHUNK_CODEC_IDS, type ChunkCodecName } from '../format/file-format.ts';

/** `zstdCompressSync` where this Node has it (22.15 and 23.8 on); older `@types/node` do not declare it. */
const zstdCompress = (zlib as { zstdCompressSync?: (data: Uint8Array) => Buffer }).zstdCompressSync;

/**
 * The codec a writer uses for the `codec` option: `lz4` when none is given. Throws a `RangeError`
 * for a name that is no codec. `zstd` where `node:zlib` lacks it falls back to `deflate`, the next
 * densest, with a `diag` warning: a service moved to an older Node keeps writing snapshots.
 */
export function usableCodec(codec: string | undefined): ChunkCodecName {
  if (codec === undefined) return 'lz4';
  if (!Object.hasOwn(CHUNK_CODEC_IDS, codec)) {
    throw new RangeError(`ttlog: codec must be one of ${Object.keys(CHUNK_CODEC_IDS).join(', ')}, got ${JSON.stringify(codec)}`);
  }
  if (codec === 'zstd' && zstdCompress === undefined) {
    diag.warn(`ttlog: codec 'zstd' needs a Node whose node:zlib has zstd (22.15 or 23.8 on), this is ${process.version}; writing 'deflate' instead`);
    return 'deflate';
  }
  return codec as ChunkCodecName;
}

/** The coded chunk payload of `raw`, with a codec {@link usableCodec} returned. */
export function compressChunk(codec: ChunkCodecName, raw: Uint8Array): Buffer {
  const compressed = compressWith(codec, raw);
  const payload = Buffer.allocUnsafe(1 + compressed.length);
  payload[0] = CHUNK_CODEC_IDS[codec];
  payload.set(compressed, 1);
  return payload;
}

function compressWith(codec: ChunkCodecName, raw: Uint8Array): Uint8Array {
  switch (codec) {
    case 'lz4':
      return compress(raw);
    case 'deflate':
      // Level 6, zlib's and gzip's default: the level log rotation compresses NDJSON with.
      return zlib.deflateRawSync(raw, { level: 6 });
    case 'zstd':
      if (zstdCompress === undefined) throw new Error('ttlog: this Node has no zstd in node:zlib');
      return zstdCompress(raw);
  }
}
