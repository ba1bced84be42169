/**
 * Walks the blocks of a snapshot file after its header. A block whose checksum fails is reported
 * and the scanner looks for the next block magic whose checksum holds, so one damaged chunk —
 * even one with a damaged length field — costs only its own records.
 */

import {
  BLOCK_HEADER_BYTES,
  blockChecksum,
  CHUNK_MAGIC,
  CODED_CHUNK_MAGIC,
  END_MAGIC,
  INDEX_MAGIC,
  INDEX_PAYLOAD_BYTES,
  MAX_CHUNK_PAYLOAD_BYTES,
} from '../format/file-format.ts';
import type { SnapshotDamage } from '../types.ts';
import type { ByteSource } from './byte-source.ts';

/** One intact block of a file (docs/format.md, "Blocks"): its header's fields and its payload. */
export interface FileBlock {
  /** `index`: binds the next block to its file and position (v1.1). `other`: a block type this reader does not know (added by a later minor version); skipped. */
  readonly kind: 'chunk' | 'end' | 'index' | 'other';
  /** Where the block starts in the file. */
  readonly offset: number;
  /** Header field `a`: a chunk's uncompressed length, the place of the block an index names, the end block's chunk count. */
  readonly a: number;
  /** Header field `b`: a chunk's record count, the CRC of the block an index names, the end block's record count. */
  readonly b: number;
  /** A chunk block of type `TTLZ` (v1.2), whose first payload byte names its codec; false for a `TTLC` (LZ4) chunk and other blocks. */
  readonly coded: boolean;
  /** The block's CRC, which the index block before it names. */
  readonly crc: number;
  /** The bytes after the header, as stored (a chunk's still compressed). */
  readonly payload: Buffer;
}

const RESYNC_WINDOW = 64 * 1024;
/** Block types whose payload has one length only: a block of such a type with another is not valid. */
const FIXED_PAYLOAD_BYTES: Partial<Record<FileBlock['kind'], number>> = { end: 0, index: INDEX_PAYLOAD_BYTES };
/** Every block magic starts with "TTL"; the fourth byte names the type. */
const BLOCK_MAGIC_PREFIX = CHUNK_MAGIC.subarray(0, 3);

/**
 * The intact blocks from `start` (the first byte after the file header) up to and including the
 * end block, in file order. What cannot be read — a failed checksum, a cut-off end, bytes after
 * the end block — is pushed onto `damage` and passed over.
 */
export async function* scanBlocks(source: ByteSource, start: number, damage: SnapshotDamage[]): AsyncGenerator<FileBlock> {
  let offset = start;
  while (offset < source.size) {
    const block = await readBlock(source, offset);
    if (block !== undefined) {
      if (block.kind === 'end') {
        // Reported before the yield: a consumer stops at the end block and never resumes us.
        const after = offset + BLOCK_HEADER_BYTES;
        if (after < source.size) damage.push({ code: 'TRAILING_GARBAGE', offset: after, message: `${source.size - after} bytes after the end block` });
        yield block;
        return;
      }
      yield block;
      offset += BLOCK_HEADER_BYTES + block.payload.length;
      continue;
    }
    const next = await findNextBlock(source, offset + 1);
    const head = await source.read(offset, BLOCK_HEADER_BYTES);
    const claimed = head.length === BLOCK_HEADER_BYTES && blockKind(head.subarray(0, 4)) === 'chunk' ? head.readUInt32LE(12) : undefined;
    if (next === undefined) {
      damage.push({
        code: 'TRUNCATED',
        offset,
        message: 'the file ends without its end block (cut short or damaged at the end)',
        ...(claimed === undefined ? {} : { records: claimed }),
      });
      return;
    }
    damage.push({
      code: 'CHUNK_CORRUPT',
      offset,
      message: `${next - offset} bytes failed their checksum and were skipped`,
      ...(claimed === undefined ? {} : { records: claimed }),
    });
    offset = next;
  }
  damage.push({ code: 'TRUNCATED', offset, message: 'the file ends without its end block' });
}

/** The block at `offset` if its header and checksum are intact. */
async function readBlock(source: ByteSource, offset: number): Promise<FileBlock | undefined> {
  const head = await source.read(offset, BLOCK_HEADER_BYTES);
  if (head.length < BLOCK_HEADER_BYTES) return undefined;
  const magic = head.subarray(0, 4);
  const kind = blockKind(magic);
  const payloadLength = head.readUInt32LE(4);
  if (kind === undefined || payloadLength > MAX_CHUNK_PAYLOAD_BYTES || payloadLength !== (FIXED_PAYLOAD_BYTES[kind] ?? payloadLength)) return undefined;
  if (offset + BLOCK_HEADER_BYTES + payloadLength > source.size) return undefined;
  // One read for header and payload: with a read-ahead source it is a view, not a copy.
  const whole = await source.read(offset, BLOCK_HEADER_BYTES + payloadLength);
  if (whole.length < BLOCK_HEADER_BYTES + payloadLength) return undefined;
  const crc = whole.readUInt32LE(16);
  if (blockChecksum(whole, 0, payloadLength) !== crc) return undefined;
  const coded = magic.equals(CODED_CHUNK_MAGIC);
  return { kind, offset, a: head.readUInt32LE(8), b: head.readUInt32LE(12), coded, crc, payload: whole.subarray(BLOCK_HEADER_BYTES) };
}

function blockKind(magic: Buffer): FileBlock['kind'] | undefined {
  if (magic.equals(CHUNK_MAGIC) || magic.equals(CODED_CHUNK_MAGIC)) return 'chunk';
  if (magic.equals(END_MAGIC)) return 'end';
  if (magic.equals(INDEX_MAGIC)) return 'index';
  return magic.subarray(0, 3).equals(BLOCK_MAGIC_PREFIX) ? 'other' : undefined;
}

/** The offset of the next intact block at or after `from`, if any. */
async function findNextBlock(source: ByteSource, from: number): Promise<number | undefined> {
  for (let windowStart = from; windowStart < source.size; windowStart += RESYNC_WINDOW) {
    const window = await source.read(windowStart, RESYNC_WINDOW + 3);
    for (let i = 0; i + 4 <= window.length && i < RESYNC_WINDOW; i++) {
      if (window[i] !== 0x54 || window[i + 1] !== 0x54 || window[i + 2] !== 0x4c) continue;
      const candidate = windowStart + i;
      if ((await readBlock(source, candidate)) !== undefined) return candidate;
    }
  }
  return undefined;
}
