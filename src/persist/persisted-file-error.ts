/**
 * A persisted ring file that cannot be recovered at all; `code` says why. Damage inside a file
 * whose prefix is whole is not an error: recovery keeps what passes its checks and reports the
 * rest (persisted-ring.ts, `PersistDamage`).
 */

/** Why a persisted ring file cannot be recovered. The codes are stable; tools may match on them. */
export type PersistedFileErrorCode =
  /** The bytes do not start with the persisted ring's magic. */
  | 'NOT_PERSISTED'
  /** A persisted ring of a version this reader does not know. */
  | 'UNSUPPORTED_VERSION'
  /** The file ends inside its prefix. */
  | 'TRUNCATED'
  /** The prefix (sizes, owner) fails its checksum or does not decode. */
  | 'PREFIX_CORRUPT';

/** A persisted ring file that cannot be recovered; `code` says why. */
export class PersistedFileError extends Error {
  override readonly name = 'PersistedFileError';

  constructor(
    readonly code: PersistedFileErrorCode,
    readonly reason: string,
  ) {
    super(`ttlog: ${reason} (${code})`);
  }
}
