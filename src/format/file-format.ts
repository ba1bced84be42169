/**
 * Framing of snapshot file format v1 (docs/format.md): the file header, chunk blocks, index
 * blocks and the end block, each protected by a CRC-32. All integers little-endian.
 */
import { crc32 } from 'node:zlib';

/** "\x89TTLOG\r\n": the high byte catches 7-bit transfers, CR LF catches newline conversion. */
export const FILE_MAGIC = Buffer.from([0x89, 0x54, 0x54, 0x4c, 0x4f, 0x47, 0x0d, 0x0a]);
/** The format's major version, in every file prefix (docs/format.md, versioning rules). */
export const FORMAT_MAJOR = 1;
/**
 * 1.1 added the file id and the index blocks that bind each chunk to its file and position; 1.2
 * the coded chunk block, which names its compression codec, and the hex and UUID text tags.
 */
const FORMAT_MINOR = 2;

/** magic(8) major(2) minor(2) headerLength(4), then the CBOR header, then its CRC(4). */
export const FILE_PREFIX_BYTES = 16;
/** Every block's header: magic(4) payloadLength(4) a(4) b(4) crc(4) (docs/format.md, "Blocks"). */
export const BLOCK_HEADER_BYTES = 20;
/** "TTLC": a chunk block. */
export const CHUNK_MAGIC = Buffer.from('TTLC', 'latin1');
/**
 * "TTLZ": a coded chunk block (v1.2): the first payload byte names the codec
 * ({@link ChunkCodecId}), the rest is the chunk compressed with it. A block type of its own, not
 * a byte in `TTLC`: a 1.1 reader skips it and reports its records missing, where it would read
 * the new value tags inside as `undefined` and lose data without saying so.
 */
export const CODED_CHUNK_MAGIC = Buffer.from('TTLZ', 'latin1');
/** "TTLE": the end block. */
export const END_MAGIC = Buffer.from('TTLE', 'latin1');
/**
 * Index block (v1.1): names the block after it. a = its position among the file's chunks (the
 * end block's is the number of chunks), b = its CRC; payload = the file id, then the number of
 * records in the chunks before it (u32). A chunk's own CRC binds neither its file nor its place,
 * so without these a repeated, swapped or foreign chunk reads as good data.
 */
export const INDEX_MAGIC = Buffer.from('TTLI', 'latin1');
/** How a coded chunk's payload is compressed: its first byte (docs/format.md, "Chunk payload"). */
export const ChunkCodecId = {
  /** lz4_flex's `compress_prepend_size`, as in a `TTLC` block. */
  Lz4: 0,
  /** Raw DEFLATE (RFC 1951), no zlib or gzip wrapper. */
  Deflate: 1,
  /** One Zstandard frame (RFC 8878). */
  Zstd: 2,
} as const;

/** The codec byte's value of each codec name a writer takes. */
export const CHUNK_CODEC_IDS = { lz4: ChunkCodecId.Lz4, deflate: ChunkCodecId.Deflate, zstd: ChunkCodecId.Zstd } as const;

/** A chunk codec by the name the exporter's `codec` option takes. */
export type ChunkCodecName = keyof typeof CHUNK_CODEC_IDS;

/** Random bytes a writer draws per file; the header's `fileId` and every index block carry them. */
export const FILE_ID_BYTES = 16;
/** An index block's payload: the file id and a record count (u32). */
export const INDEX_PAYLOAD_BYTES = FILE_ID_BYTES + 4;
const INDEX_BLOCK_BYTES = BLOCK_HEADER_BYTES + INDEX_PAYLOAD_BYTES;

/** Bytes of the header's `ring` identity: random, enough that two rings never draw the same one. */
export const RING_ID_BYTES = 16;

/** Bounds a reader enforces before allocating anything a damaged length field could ask for. */
export const MAX_HEADER_BYTES = 16 * 1024 * 1024;
/** A block's payload, as its length field may claim it. */
export const MAX_CHUNK_PAYLOAD_BYTES = 64 * 1024 * 1024;
/** A chunk's records once decompressed, as its raw length may claim them. */
export const MAX_CHUNK_RAW_BYTES = 256 * 1024 * 1024;
/**
 * A chunk may claim at most this many records (16 times what the reference writer puts in one):
 * with the next two bounds, what one chunk can make a reader build is bounded before anything is
 * decompressed.
 */
export const MAX_CHUNK_RECORDS_READ = 65_536;
/** The smallest record: an array head and 13 one-byte items. A chunk claiming more records than its raw bytes hold this many of is damage. */
export const MIN_RECORD_BYTES = 14;
/**
 * LZ4 turns one input byte into at most 255 output bytes (a match-length byte), so a chunk whose
 * raw length is more than 255 times its LZ4 block cannot be what its payload decompresses to.
 */
export const MAX_LZ4_EXPANSION = 255;
/**
 * The longest bignum (tags 2 and 3) a file may hold: 8192 bits. Writers store a larger bigint as
 * text (bigint-limit.ts); readers refuse a longer one, since turning bytes into a bigint, or a
 * bigint into digits, costs more than its size.
 */
export const MAX_BIGNUM_BYTES = 1024;

/** Chunks close at whichever limit comes first; small enough that damage loses little. */
export const CHUNK_MAX_RECORDS = 4096;
/** The records' raw bytes at which a writer closes a chunk. */
export const CHUNK_MAX_RAW_BYTES = 512 * 1024;

/** The file prefix for a CBOR `header`: magic, version, header length, the header and its CRC-32. */
export function encodeFilePrefix(header: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FILE_PREFIX_BYTES + header.length + 4);
  FILE_MAGIC.copy(out, 0);
  out.writeUInt16LE(FORMAT_MAJOR, 8);
  out.writeUInt16LE(FORMAT_MINOR, 10);
  out.writeUInt32LE(header.length, 12);
  out.set(header, FILE_PREFIX_BYTES);
  out.writeUInt32LE(crc32(out.subarray(8, FILE_PREFIX_BYTES + header.length)), FILE_PREFIX_BYTES + header.length);
  return out;
}

/** A block: magic(4) payloadLength(4) a(4) b(4) crc(4) payload. For chunks a = raw length, b = records. */
export function encodeBlock(magic: Buffer, a: number, b: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(BLOCK_HEADER_BYTES + payload.length);
  writeBlock(out, 0, magic, a, b, payload);
  return out;
}

/** Where a block goes in a v1.1 file: the chunk's index (the end block's: the number of chunks) and the records before it. */
export interface BlockPosition {
  readonly fileId: Uint8Array;
  readonly index: number;
  readonly recordsBefore: number;
}

/**
 * A block preceded by the index block that binds it to its file and position, in one buffer (the
 * writer's chunks are written as they come, so this saves a copy of each).
 */
export function encodeIndexedBlock(position: BlockPosition, magic: Buffer, a: number, b: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(INDEX_BLOCK_BYTES + BLOCK_HEADER_BYTES + payload.length);
  const crc = writeBlock(out, INDEX_BLOCK_BYTES, magic, a, b, payload);
  const index = Buffer.allocUnsafe(INDEX_PAYLOAD_BYTES);
  index.set(position.fileId, 0);
  index.writeUInt32LE(position.recordsBefore, FILE_ID_BYTES);
  writeBlock(out, 0, INDEX_MAGIC, position.index, crc, index);
  return out;
}

/** Writes a block at `at` in `out`; returns its CRC. */
function writeBlock(out: Buffer, at: number, magic: Buffer, a: number, b: number, payload: Uint8Array): number {
  magic.copy(out, at);
  out.writeUInt32LE(payload.length, at + 4);
  out.writeUInt32LE(a, at + 8);
  out.writeUInt32LE(b, at + 12);
  out.set(payload, at + BLOCK_HEADER_BYTES);
  const crc = blockChecksum(out, at, payload.length);
  out.writeUInt32LE(crc, at + 16);
  return crc;
}

/** CRC-32 over a block's first 16 header bytes and its payload. */
export function blockChecksum(bytes: Uint8Array, start: number, payloadLength: number): number {
  const head = crc32(bytes.subarray(start, start + 16));
  const payloadStart = start + BLOCK_HEADER_BYTES;
  return crc32(bytes.subarray(payloadStart, payloadStart + payloadLength), head);
}
