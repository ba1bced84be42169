/**
 * Opens a snapshot file below the reader API: the raw CBOR header and each chunk's decoded
 * payload [baseSeconds, baseNanos, strings, scopes, records] (docs/format.md). Tests use it to
 * check what the file itself carries, which `readSnapshot` resolves away, and to put a file
 * together again from changed chunks, bound to its places as a writer of its version binds them.
 */
import { crc32 } from 'node:zlib';
import { compress } from 'lz4-wasm-nodejs';
import { createCborDecoder } from '../../src/format/cbor.ts';
import {
  BLOCK_HEADER_BYTES,
  CHUNK_MAGIC,
  CODED_CHUNK_MAGIC,
  END_MAGIC,
  encodeBlock,
  encodeIndexedBlock,
  FILE_PREFIX_BYTES,
  INDEX_MAGIC,
} from '../../src/format/file-format.ts';
import { decompressChunk } from '../../src/read/chunk-decoder.ts';

export interface RawChunk {
  /** The chunk block exactly as it is in the file (header + compressed payload). */
  readonly block: Buffer;
  /** The index block just before it (format 1.1 on), undefined in a 1.0 file. */
  readonly index: Buffer | undefined;
  /** Decompressed CBOR bytes of the payload. */
  readonly raw: Buffer;
  readonly strings: string[];
  readonly scopes: unknown[];
  readonly records: unknown[][];
}

export interface RawSnapshot {
  /** The file prefix and header, up to the first block. */
  readonly prefix: Buffer;
  readonly header: Buffer;
  /** The header's `fileId` (format 1.1 on), which index blocks name. */
  readonly fileId: Buffer | undefined;
  readonly chunks: RawChunk[];
  /** The end block. */
  readonly end: Buffer;
}

export function splitSnapshot(file: Buffer): RawSnapshot {
  const headerLength = file.readUInt32LE(12);
  const header = file.subarray(FILE_PREFIX_BYTES, FILE_PREFIX_BYTES + headerLength);
  const cbor = createCborDecoder();
  const fileId = (cbor.decode(header) as { fileId?: Uint8Array }).fileId;
  const chunks: RawChunk[] = [];
  let offset = FILE_PREFIX_BYTES + headerLength + 4;
  const prefix = file.subarray(0, offset);
  let index: Buffer | undefined;
  for (;;) {
    const magic = file.subarray(offset, offset + 4);
    const payloadLength = file.readUInt32LE(offset + 4);
    const block = file.subarray(offset, offset + BLOCK_HEADER_BYTES + payloadLength);
    offset += block.length;
    if (magic.equals(INDEX_MAGIC)) {
      index = block;
      continue;
    }
    if (magic.equals(END_MAGIC)) return { prefix, header, fileId: fileId === undefined ? undefined : Buffer.from(fileId), chunks, end: block };
    const coded = magic.equals(CODED_CHUNK_MAGIC);
    if (!coded && !magic.equals(CHUNK_MAGIC)) throw new Error(`no block at offset ${offset - block.length}`);
    const raw = decompressChunk(block.subarray(BLOCK_HEADER_BYTES), block.readUInt32LE(8), block.readUInt32LE(12), 0, coded);
    const [, , strings, scopes, records] = cbor.decode(raw) as [number, number, string[], unknown[], unknown[][]];
    chunks.push({ block, index, raw, strings, scopes, records });
    index = undefined;
  }
}

/**
 * A file of `split`'s prefix, the chunk `blocks` in this order and an end block that counts them,
 * each block bound to its place as the writer of the file's version binds it (index blocks from
 * format 1.1 on): a well-formed file whatever the chunks hold.
 */
export function assembleSnapshot(split: RawSnapshot, blocks: readonly Buffer[]): Buffer {
  const minor = split.prefix.readUInt16LE(10);
  const parts: Buffer[] = [split.prefix];
  let records = 0;
  const place = (index: number, magic: Buffer, a: number, b: number, payload: Uint8Array) => {
    if (minor === 0 || split.fileId === undefined) return encodeBlock(magic, a, b, payload);
    return encodeIndexedBlock({ fileId: split.fileId, index, recordsBefore: records }, magic, a, b, payload);
  };
  blocks.forEach((block, index) => {
    const b = block.readUInt32LE(12);
    parts.push(place(index, block.subarray(0, 4), block.readUInt32LE(8), b, block.subarray(BLOCK_HEADER_BYTES)));
    records += b;
  });
  parts.push(place(blocks.length, END_MAGIC, blocks.length, records, new Uint8Array(0)));
  return Buffer.concat(parts);
}

/** `file` with its chunk at `chunkIndex` replaced by `block`, bound in its place. */
export function replaceChunk(file: Buffer, chunkIndex: number, block: Buffer): Buffer {
  const split = splitSnapshot(file);
  return assembleSnapshot(
    split,
    split.chunks.map((chunk, i) => (i === chunkIndex ? block : chunk.block)),
  );
}

/**
 * `file` as format 1.0 wrote it: no index blocks, LZ4 chunk blocks (`TTLC`), minor version 0
 * (the header keeps its `fileId`, which 1.0 readers ignore).
 */
export function asVersion10(file: Buffer): Buffer {
  const split = splitSnapshot(file);
  const prefix = Buffer.from(split.prefix);
  prefix.writeUInt16LE(0, 10);
  const headerEnd = prefix.length - 4;
  prefix.writeUInt32LE(crc32(prefix.subarray(8, headerEnd)), headerEnd);
  return Buffer.concat([prefix, ...split.chunks.map(asLz4Block), split.end]);
}

/** A chunk as a `TTLC` block: its CBOR compressed with LZ4, as format 1.0 and 1.1 hold every chunk. */
export function asLz4Block(chunk: RawChunk): Buffer {
  return encodeBlock(CHUNK_MAGIC, chunk.raw.length, chunk.records.length, compress(chunk.raw));
}
