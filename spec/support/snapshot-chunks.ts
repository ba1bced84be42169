/**
 * Opens a snapshot file below the reader API: the raw CBOR header and each chunk's decoded
 * payload [baseSeconds, baseNanos, strings, scopes, records] (docs/format.md). Tests use it to
 * check what the file itself carries, which `readSnapshot` resolves away.
 */
import { decompress } from 'lz4-wasm-nodejs';
import { createCborDecoder } from '../../src/format/cbor.ts';
import { BLOCK_HEADER_BYTES, CHUNK_MAGIC, END_MAGIC, FILE_PREFIX_BYTES } from '../../src/format/file-format.ts';

export interface RawChunk {
  /** The chunk block exactly as it is in the file (header + compressed payload). */
  readonly block: Buffer;
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
  readonly chunks: RawChunk[];
  /** The end block. */
  readonly end: Buffer;
}

export function splitSnapshot(file: Buffer): RawSnapshot {
  const headerLength = file.readUInt32LE(12);
  const header = file.subarray(FILE_PREFIX_BYTES, FILE_PREFIX_BYTES + headerLength);
  const cbor = createCborDecoder();
  const chunks: RawChunk[] = [];
  let offset = FILE_PREFIX_BYTES + headerLength + 4;
  const prefix = file.subarray(0, offset);
  for (;;) {
    const magic = file.subarray(offset, offset + 4);
    const payloadLength = file.readUInt32LE(offset + 4);
    const block = file.subarray(offset, offset + BLOCK_HEADER_BYTES + payloadLength);
    if (magic.equals(END_MAGIC)) return { prefix, header, chunks, end: block };
    if (!magic.equals(CHUNK_MAGIC)) throw new Error(`no block at offset ${offset}`);
    const raw = Buffer.from(decompress(block.subarray(BLOCK_HEADER_BYTES)));
    const [, , strings, scopes, records] = cbor.decode(raw) as [number, number, string[], unknown[], unknown[][]];
    chunks.push({ block, raw, strings, scopes, records });
    offset += block.length;
  }
}
