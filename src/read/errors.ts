/**
 * Why a snapshot, or a chunk of it, could not be read. The codes are stable; tests and tools may
 * match on them.
 */
export type SnapshotFormatErrorCode =
  /** The bytes do not start with the ttlog magic: some other kind of file. */
  | 'NOT_A_SNAPSHOT'
  /** A ttlog snapshot of a major format version this reader does not know. */
  | 'UNSUPPORTED_VERSION'
  /** The file ends before its header does. */
  | 'TRUNCATED'
  /** The header fails its checksum or does not decode. */
  | 'HEADER_CORRUPT'
  /** Strict reading only: part of the file is damaged (see the error's `damage`). */
  | 'DAMAGED'
  /**
   * A chunk passed its checksum but does not decode: thrown by a `RecordCursor` (`offset`
   * is the chunk block's), and reported by the reader as `CHUNK_UNREADABLE` damage.
   */
  | 'CHUNK_UNREADABLE';

/** A snapshot file, or a chunk of it, that cannot be read; `code` says why. */
export class SnapshotFormatError extends Error {
  override readonly name = 'SnapshotFormatError';

  /**
   * @param code - why, as a stable code
   * @param reason - what was wrong, without the code and offset the message adds
   * @param offset - the byte in the file where it was found
   */
  constructor(
    readonly code: SnapshotFormatErrorCode,
    readonly reason: string,
    readonly offset = 0,
  ) {
    super(`${reason} (${code} at byte ${offset})`);
  }
}
