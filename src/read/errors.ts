/** Why a snapshot could not be read at all. The codes are stable; tests and tools may match on them. */
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
  | 'DAMAGED';

/** A snapshot file that cannot be read; `code` says why. */
export class SnapshotFormatError extends Error {
  override readonly name = 'SnapshotFormatError';

  constructor(
    readonly code: SnapshotFormatErrorCode,
    message: string,
    readonly offset = 0,
  ) {
    super(`${message} (${code} at byte ${offset})`);
  }
}
