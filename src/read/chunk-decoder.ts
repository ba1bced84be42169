/**
 * A chunk block's payload (docs/format.md, "Chunk payload") → records, through the record
 * cursor (record-cursor.ts). Throws a `SnapshotFormatError` with code `CHUNK_UNREADABLE` on
 * anything malformed; the reader turns that into a damage report for the chunk.
 *
 * A chunk can also be decoded a slice of records at a time. Then the whole payload is walked
 * first, building nothing, so a chunk still either decodes whole or is reported whole; and each
 * slice's records are garbage once the caller is done with them, where a whole chunk of records
 * outlived the young generation and was copied and promoted, which cost the viewer's merged
 * text output most of its garbage collection time (CPU profiles of bench/viewer.ts).
 */
import * as zlib from 'node:zlib';
import { decompress } from 'lz4-wasm-nodejs';
import { ChunkCodecId, MAX_CHUNK_RAW_BYTES, MAX_CHUNK_RECORDS_READ, MAX_LZ4_EXPANSION, MIN_RECORD_BYTES } from '../format/file-format.ts';
import type { SnapshotRecord } from '../types.ts';
import { SnapshotFormatError } from './errors.ts';
import { RecordCursor } from './record-cursor.ts';

/** All records of a chunk at once; `offset` is the chunk block's, which errors name; `coded`: a `TTLZ` block, whose first payload byte names its codec. */
export function decodeChunk(payload: Buffer, rawLength: number, recordCount: number, offset = 0, coded = false): SnapshotRecord[] {
  return new ChunkRecords(new RecordCursor(decompressChunk(payload, rawLength, recordCount, offset, coded), recordCount, offset), recordCount).next();
}

/**
 * A chunk block's payload → the CBOR bytes of the chunk. Throws when it does not decompress to
 * `rawLength` bytes, or when its block header claims more than the reader's limits allow
 * (docs/format.md, "Limits a reader enforces"): checked before anything is allocated, since a
 * few compressed bytes can claim a quarter of a GiB, and that many bytes millions of records.
 * A `TTLC` block is LZ4; a coded (`TTLZ`) block's first byte names its codec.
 */
export function decompressChunk(payload: Buffer, rawLength: number, recordCount: number, offset = 0, coded = false): Buffer {
  if (rawLength > MAX_CHUNK_RAW_BYTES) throw new SnapshotFormatError('CHUNK_UNREADABLE', `chunk claims ${rawLength} bytes, more than a reader takes`, offset);
  if (recordCount > MAX_CHUNK_RECORDS_READ) {
    throw new SnapshotFormatError('CHUNK_UNREADABLE', `chunk claims ${recordCount} records, more than the ${MAX_CHUNK_RECORDS_READ} a reader takes`, offset);
  }
  if (recordCount * MIN_RECORD_BYTES > rawLength) {
    throw new SnapshotFormatError(
      'CHUNK_UNREADABLE',
      `chunk claims ${recordCount} records in ${rawLength} bytes (a record takes at least ${MIN_RECORD_BYTES})`,
      offset,
    );
  }
  if (!coded) return lz4Chunk(payload, rawLength, offset);
  const compressed = payload.subarray(1);
  switch (payload[0]) {
    case ChunkCodecId.Lz4:
      return lz4Chunk(compressed, rawLength, offset);
    case ChunkCodecId.Deflate:
      return boundedChunk(zlib.inflateRawSync, compressed, rawLength, offset);
    case ChunkCodecId.Zstd:
      if (zstdDecompress === undefined)
        throw new SnapshotFormatError('CHUNK_UNREADABLE', 'chunk is zstd-compressed and this Node has no zstd in node:zlib', offset);
      return boundedChunk(zstdDecompress, compressed, rawLength, offset);
    default:
      throw new SnapshotFormatError('CHUNK_UNREADABLE', `chunk names codec ${payload[0] ?? 'none'}, which this reader does not know`, offset);
  }
}

/** `zstdDecompressSync` where this Node has it (22.15 and 23.8 on); older `@types/node` do not declare it. */
const zstdDecompress = (zlib as { zstdDecompressSync?: ZlibDecompress }).zstdDecompressSync;

type ZlibDecompress = (data: Uint8Array, options: { maxOutputLength: number }) => Buffer;

/**
 * Decompresses with a zlib codec whose output stops at `rawLength` bytes, so a payload that would
 * expand further (a decompression bomb) fails at that size instead of filling memory.
 */
function boundedChunk(decompress: ZlibDecompress, compressed: Buffer, rawLength: number, offset: number): Buffer {
  let raw: Buffer;
  try {
    raw = decompress(compressed, { maxOutputLength: Math.max(1, rawLength) });
  } catch (error) {
    throw new SnapshotFormatError(
      'CHUNK_UNREADABLE',
      `chunk does not decompress to its ${rawLength} bytes: ${error instanceof Error ? error.message : String(error)}`,
      offset,
    );
  }
  if (raw.length !== rawLength) throw new SnapshotFormatError('CHUNK_UNREADABLE', `chunk decompresses to ${raw.length} bytes, not its ${rawLength}`, offset);
  return raw;
}

/** An LZ4 payload (lz4_flex's `compress_prepend_size`) → its `rawLength` bytes. */
function lz4Chunk(payload: Buffer, rawLength: number, offset: number): Buffer {
  // lz4-wasm prepends the decompressed size; a wasm trap on bad input must not be reachable, so
  // the size is checked against the block header first.
  if (payload.length < 4 || payload.readUInt32LE(0) !== rawLength) {
    throw new SnapshotFormatError('CHUNK_UNREADABLE', 'chunk size fields disagree', offset);
  }
  if (rawLength > (payload.length - 4) * MAX_LZ4_EXPANSION) {
    throw new SnapshotFormatError('CHUNK_UNREADABLE', `chunk claims ${rawLength} bytes from ${payload.length - 4} of LZ4, more than LZ4 expands to`, offset);
  }
  let raw: Uint8Array;
  try {
    raw = decompress(payload);
  } catch (error) {
    throw new SnapshotFormatError('CHUNK_UNREADABLE', `chunk does not decompress: ${error instanceof Error ? error.message : String(error)}`, offset);
  }
  return Buffer.from(raw.buffer, raw.byteOffset, raw.length);
}

/**
 * A chunk's records, which {@link ChunkRecords.next} decodes `sliceRecords` at a time. When that
 * is fewer than the chunk holds, the constructor checks the payload whole, so that `next` cannot
 * fail.
 */
export class ChunkRecords {
  constructor(
    private readonly cursor: RecordCursor,
    private readonly sliceRecords: number,
  ) {
    if (sliceRecords < cursor.records) cursor.check();
  }

  /** Records not decoded yet. */
  get remaining(): number {
    return this.cursor.remaining;
  }

  /** The next slice of records; an empty array once all are read. */
  next(): SnapshotRecord[] {
    const cursor = this.cursor;
    const count = Math.min(this.sliceRecords, cursor.remaining);
    const out = new Array<SnapshotRecord>(count);
    for (let i = 0; i < count; i++) out[i] = cursor.record();
    return out;
  }
}
