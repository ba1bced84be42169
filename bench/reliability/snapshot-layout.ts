/**
 * A snapshot file cut at its block boundaries (docs/format.md §2–3), for the mutations that need
 * to know where a chunk starts and ends, and the checksums a forger recomputes after an edit.
 */
import { crc32 } from 'node:zlib';
import { BLOCK_HEADER_BYTES, blockChecksum, END_MAGIC, FILE_PREFIX_BYTES, INDEX_MAGIC } from '../../src/format/file-format.ts';

/**
 * How a file is cut: `chunks` keeps each chunk with the blocks that lead it (from format 1.1,
 * the index block that binds it to its file and place), so a unit moves as a whole, as an
 * attacker who knows the format would move it; `blocks` makes every block a unit of its own.
 */
export type Granularity = 'chunks' | 'blocks';

/** A file's parts, which {@link joinLayout} puts back together byte for byte. */
export interface SnapshotLayout {
  /** Prefix, CBOR header and header checksum. */
  readonly head: Buffer;
  /** The units between the header and the end, each a list of whole blocks. */
  readonly units: Buffer[][];
  /** The end block, after the blocks that lead it. */
  readonly end: Buffer[];
  /** Anything after the end block. */
  readonly trailing: Buffer;
}

/** The parts of a well-formed file; `undefined` once a mutation has broken its framing. */
export function splitLayout(file: Buffer, granularity: Granularity): SnapshotLayout | undefined {
  if (file.length < FILE_PREFIX_BYTES) return undefined;
  let offset = FILE_PREFIX_BYTES + file.readUInt32LE(12) + 4;
  if (offset > file.length) return undefined;
  const head = file.subarray(0, offset);
  const units: Buffer[][] = [];
  let leading: Buffer[] = [];
  while (offset + BLOCK_HEADER_BYTES <= file.length) {
    const magic = file.subarray(offset, offset + 4);
    const length = BLOCK_HEADER_BYTES + file.readUInt32LE(offset + 4);
    if (!magic.subarray(0, 3).equals(END_MAGIC.subarray(0, 3)) || offset + length > file.length) return undefined;
    const block = file.subarray(offset, offset + length);
    offset += length;
    if (magic.equals(END_MAGIC)) {
      if (granularity === 'blocks') return { head, units: [...units, ...leading.map((one) => [one])], end: [block], trailing: file.subarray(offset) };
      return { head, units, end: [...leading, block], trailing: file.subarray(offset) };
    }
    leading.push(block);
    if (granularity === 'blocks' || !magic.equals(INDEX_MAGIC)) {
      units.push(...(granularity === 'blocks' ? leading.map((one) => [one]) : [leading]));
      leading = [];
    }
  }
  return undefined;
}

export function joinLayout(layout: SnapshotLayout): Buffer {
  return Buffer.concat([layout.head, ...layout.units.flat(), ...layout.end, layout.trailing]);
}

/**
 * A unit whose last block was edited, resealed as a forger with write access to the directory
 * would: the block's checksum recomputed, and the index blocks leading it made to name the new
 * checksum.
 */
export function resealUnit(unit: readonly Buffer[], edited: Buffer): Buffer[] {
  const block = resealBlock(edited);
  const leading = unit.slice(0, -1).map((lead) => {
    if (!lead.subarray(0, 4).equals(INDEX_MAGIC)) return lead;
    const index = Buffer.from(lead);
    index.writeUInt32LE(block.readUInt32LE(16), 12);
    return resealBlock(index);
  });
  return [...leading, block];
}

function resealBlock(block: Buffer): Buffer {
  const copy = Buffer.from(block);
  copy.writeUInt32LE(blockChecksum(copy, 0, copy.length - BLOCK_HEADER_BYTES), 16);
  return copy;
}

/** A file head (prefix, header, checksum) around `header`, with its length and checksum recomputed. */
export function resealHead(prefix: Buffer, header: Buffer): Buffer {
  const head = Buffer.concat([prefix.subarray(0, FILE_PREFIX_BYTES), header, Buffer.alloc(4)]);
  head.writeUInt32LE(header.length, 12);
  head.writeUInt32LE(crc32(head.subarray(8, FILE_PREFIX_BYTES + header.length)), FILE_PREFIX_BYTES + header.length);
  return head;
}
