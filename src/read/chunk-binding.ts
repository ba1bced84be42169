/**
 * Holds the blocks of a v1.1 file to their index blocks (docs/format.md, "Blocks"): a chunk is
 * read only when the index block just before it names this file, its place in the file and its
 * CRC. A chunk's own CRC holds wherever the chunk is put, so without this a repeated, swapped
 * or foreign chunk (a copy gone wrong, files concatenated, a block spliced in) reads as good data.
 *
 * The check needs only block headers and index payloads, never a decompressed chunk, so
 * `SnapshotReader.last` checks every chunk's place while it decodes only the last ones.
 */
import { FILE_ID_BYTES } from '../format/file-format.ts';
import type { SnapshotDamage } from '../types.ts';
import type { FileBlock } from './block-scanner.ts';

/**
 * Follows one file's blocks in order and tells which chunks are bound to their place; the ones
 * that are not, and chunks missing between bound ones, go to the damage report.
 */
export class ChunkBinding {
  /** The last index block met, until the block it names has come. */
  private pending: FileBlock | undefined;
  /** The index the next chunk should have. */
  private expected = 0;
  /** Records in the chunks read in place. */
  private recordsRead = 0;
  /** Damage entries up to the last block read in place: a gap after more damage is explained by it. */
  private damageSeen: number;
  /** Chunk indexes passed over as missing, [from, to): a chunk of one of them that comes later is out of order, not repeated. */
  private readonly missing: Array<readonly [number, number]> = [];

  /**
   * @param fileId - the header's `fileId`
   * @param damage - where to report chunks out of place
   */
  constructor(
    private readonly fileId: Buffer,
    private readonly damage: SnapshotDamage[],
  ) {
    this.damageSeen = damage.length;
  }

  /** An index block: it names the block after it. */
  index(block: FileBlock): void {
    this.pending = block;
  }

  /** Whether `chunk` belongs here; a chunk that does not is reported (its records lost) and must be skipped. */
  chunk(chunk: FileBlock): boolean {
    const index = this.boundIndex(chunk, 'a chunk');
    if (index === undefined) return false;
    const at = index.a;
    if (at < this.expected) {
      // No records lost here: a copy of a chunk read already, or one counted as missing when it was passed over.
      const missed = this.missing.some(([from, to]) => at >= from && at < to);
      if (missed) this.report('CHUNK_OUT_OF_ORDER', chunk, `chunk ${at} after chunk ${this.expected - 1}, out of order: skipped`, false);
      else this.report('CHUNK_REPEATED', chunk, `chunk ${at} again, a copy of a chunk read already: skipped`, false);
      return false;
    }
    this.placed(chunk, index);
    this.recordsRead += chunk.b;
    return true;
  }

  /** The end block: it must be this file's too, after the last chunk. */
  end(end: FileBlock): void {
    const index = this.boundIndex(end, 'the end block');
    if (index !== undefined && index.a >= this.expected) this.placed(end, index);
  }

  /** The index block that binds `block` to this file, or undefined (reported) when there is none. */
  private boundIndex(block: FileBlock, what: string): FileBlock | undefined {
    const index = this.pending;
    this.pending = undefined;
    if (index === undefined || index.b !== block.crc) {
      // Its records are lost if the index block was damaged, so the count is a hint, as for a damaged chunk.
      this.report('CHUNK_UNBOUND', block, `${what} without the index block that places it in this file: skipped`, true);
      return undefined;
    }
    if (!index.payload.subarray(0, FILE_ID_BYTES).equals(this.fileId)) {
      this.report('CHUNK_FOREIGN', block, `${what} of another file (its index block names another file id): skipped`, false);
      return undefined;
    }
    return index;
  }

  /** `block` is in place at `index.a`, at or after the expected index: the chunks before it that never came are missing. */
  private placed(block: FileBlock, index: FileBlock): void {
    const at = index.a;
    // Damage since the last block read in place already covers what is lost before this one.
    if (at > this.expected && this.damage.length === this.damageSeen) {
      const lost = index.payload.readUInt32LE(FILE_ID_BYTES) - this.recordsRead;
      this.damage.push({
        code: 'CHUNKS_MISSING',
        offset: block.offset,
        ...(lost >= 0 ? { records: lost } : {}),
        message: `${at - this.expected === 1 ? `chunk ${this.expected} is` : `chunks ${this.expected} to ${at - 1} are`} missing before this block`,
      });
    }
    if (at > this.expected) this.missing.push([this.expected, at]);
    this.expected = at + 1;
    this.damageSeen = this.damage.length;
  }

  /** `lost`: the block's records count as records lost (`SnapshotDamage.records`). */
  private report(code: SnapshotDamage['code'], block: FileBlock, message: string, lost: boolean): void {
    this.damage.push({ code, offset: block.offset, ...(lost && block.kind === 'chunk' ? { records: block.b } : {}), message });
  }
}
