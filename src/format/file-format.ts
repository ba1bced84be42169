/**
 * Framing of snapshot file format v1 (docs/format.md): the file header, chunk blocks and the end
 * block, each protected by a CRC-32. All integers little-endian.
 */
import { crc32 } from 'node:zlib';

/** "\x89TTLOG\r\n": the high byte catches 7-bit transfers, CR LF catches newline conversion. */
export const FILE_MAGIC = Buffer.from([0x89, 0x54, 0x54, 0x4c, 0x4f, 0x47, 0x0d, 0x0a]);
export const FORMAT_MAJOR = 1;
export const FORMAT_MINOR = 0;

/** magic(8) major(2) minor(2) headerLength(4), then the CBOR header, then its CRC(4). */
export const FILE_PREFIX_BYTES = 16;
export const BLOCK_HEADER_BYTES = 20;
export const CHUNK_MAGIC = Buffer.from('TTLC', 'latin1');
export const END_MAGIC = Buffer.from('TTLE', 'latin1');

/** Bytes of the header's `ring` identity: random, enough that two rings never draw the same one. */
export const RING_ID_BYTES = 16;

/** Bounds a reader enforces before allocating anything a damaged length field could ask for. */
export const MAX_HEADER_BYTES = 16 * 1024 * 1024;
export const MAX_CHUNK_PAYLOAD_BYTES = 64 * 1024 * 1024;
export const MAX_CHUNK_RAW_BYTES = 256 * 1024 * 1024;
/**
 * The longest bignum (tags 2 and 3) a file may hold: 8192 bits. Writers store a larger bigint as
 * text (bigint-limit.ts); readers refuse a longer one, since turning bytes into a bigint, or a
 * bigint into digits, costs more than its size.
 */
export const MAX_BIGNUM_BYTES = 1024;

/** Chunks close at whichever limit comes first; small enough that damage loses little. */
export const CHUNK_MAX_RECORDS = 4096;
export const CHUNK_MAX_RAW_BYTES = 512 * 1024;

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
  magic.copy(out, 0);
  out.writeUInt32LE(payload.length, 4);
  out.writeUInt32LE(a, 8);
  out.writeUInt32LE(b, 12);
  out.set(payload, BLOCK_HEADER_BYTES);
  out.writeUInt32LE(blockChecksum(out, 0, payload.length), 16);
  return out;
}

/** CRC-32 over a block's first 16 header bytes and its payload. */
export function blockChecksum(bytes: Uint8Array, start: number, payloadLength: number): number {
  const head = crc32(bytes.subarray(start, start + 16));
  const payloadStart = start + BLOCK_HEADER_BYTES;
  return crc32(bytes.subarray(payloadStart, payloadStart + payloadLength), head);
}
