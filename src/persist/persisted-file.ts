/**
 * The public face of persisted ring files for tools (the viewer): recover one into a snapshot
 * file, or read it as the bytes of that snapshot file, and tell one apart from other files by its
 * magic. A processor with `persist` recovers its directory's files itself (persist-recovery.ts).
 */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SnapshotWriter } from '../snapshot/snapshot-writer.ts';
import { PERSIST_MAGIC } from './persist-format.ts';
import { persistedSnapshotBytes, recoveredRecords, recoveredRequest } from './persist-recovery.ts';
import { type PersistDamage, readPersistedRing } from './persisted-ring.ts';

/** What {@link recoverPersistedFile} wrote. */
export interface RecoveredPersistedFile {
  /** The snapshot file (reason `recovered`). */
  readonly path: string;
  /** Records in it. */
  readonly records: number;
  /** What of the persisted file failed its checks: those records are counted as skipped, never shown. */
  readonly damage: PersistDamage;
}

/** A persisted file read as the snapshot file it recovers to. */
export interface PersistedSnapshotBytes {
  /** The bytes of the snapshot file: give them to `openSnapshot` or `readSnapshot`. */
  readonly bytes: Uint8Array;
  readonly damage: PersistDamage;
}

/** Whether `bytes` (a file's first bytes, at least 8) begin like a persisted ring file. */
export function isPersistedFile(bytes: Uint8Array): boolean {
  return bytes.length >= PERSIST_MAGIC.length && PERSIST_MAGIC.equals(bytes.subarray(0, PERSIST_MAGIC.length));
}

/**
 * Writes the snapshot file (reason `recovered`, with the original service, pid, the time of the
 * last persisted batch and the counters) that the persisted ring file at `path` holds, into
 * `options.directory` (default: beside it). Leaves the persisted file in place. Rejects with a
 * `PersistedFileError` for a file that is not one or whose prefix is damaged.
 */
export async function recoverPersistedFile(path: string, options: { readonly directory?: string } = {}): Promise<RecoveredPersistedFile> {
  const persisted = readPersistedRing(await readFile(path));
  const writer = new SnapshotWriter({ directory: options.directory ?? dirname(path) });
  const written = await writer.write(recoveredRequest(persisted));
  return { path: written, records: recoveredRecords(persisted), damage: persisted.damage };
}

/** Reads a persisted ring file (a path or its bytes) as the snapshot file it recovers to, in memory. */
export async function readPersistedFile(source: string | Uint8Array): Promise<PersistedSnapshotBytes> {
  const persisted = readPersistedRing(typeof source === 'string' ? await readFile(source) : source);
  return { bytes: persistedSnapshotBytes(persisted), damage: persisted.damage };
}
