/**
 * Persisted ring files → ordinary snapshot files (reason `recovered`). A processor with `persist`
 * recovers, when it starts, every persisted file in its directory whose owner is gone; the public
 * API recovers one given file (tools, the viewer's `recover`).
 *
 * Whose files: a file is recovered only when its liveness lock is free (liveness-lock.ts) and the
 * owner's pid lookup does not say alive (snapshot/process-identity.ts); for an abstract lock,
 * which another network namespace cannot see, the lookup must say gone. The file is claimed by a
 * rename before it is read (persisted-file-name.ts), written as a snapshot through the
 * processor's writer, then removed with its lock's socket file.
 */
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { diag } from '@opentelemetry/api';
import { currentProcess, ownerState, type ProcessIdentity } from '../snapshot/process-identity.ts';
import { captureRing } from '../snapshot/ring-capture.ts';
import { SnapshotEncoder } from '../snapshot/snapshot-encoder.ts';
import type { SnapshotRequest, SnapshotWriter } from '../snapshot/snapshot-writer.ts';
import { VERSION } from '../version.ts';
import { lockFilePath, probeLock } from './liveness-lock.ts';
import { type PersistedOwner, PREFIX_BYTES } from './persist-format.ts';
import { PersistedFileError } from './persisted-file-error.ts';
import { claimedFileName, claimOwner, isPersistedFileName, unclaimedFileName } from './persisted-file-name.ts';
import { type PersistDamage, type PersistedRing, readPersistedOwner, readPersistedRing } from './persisted-ring.ts';

/** One persisted file made into a snapshot file. */
export interface RecoveredSnapshot {
  /** The snapshot file written. */
  readonly path: string;
  /** Records in it. */
  readonly records: number;
  /** What of the persisted file failed its checks (and is counted as skipped in the snapshot). */
  readonly damage: PersistDamage;
}

/** The snapshot request that writes `persisted` as its owner's snapshot, reason `recovered`. */
export function recoveredRequest(persisted: PersistedRing): SnapshotRequest & { readonly origin: NonNullable<SnapshotRequest['origin']> } {
  const { ring, owner, state, damage } = persisted;
  const named = state?.resource?.['service.name'];
  const service = owner.service !== '' ? owner.service : typeof named === 'string' && named !== '' ? named : 'unknown_service';
  return {
    ring,
    reason: 'recovered',
    resource: state?.resource === undefined ? undefined : { attributes: state.resource },
    origin: { service, hostname: owner.hostname, pid: owner.pid, createdAt: new Date(state?.at ?? owner.createdAt) },
    cause: {
      processStart: owner.start,
      pidSpace: owner.space,
      persistedSince: new Date(owner.createdAt).toISOString(),
      lastBatchAt: state === undefined ? 'unknown' : new Date(state.at).toISOString(),
      damagedSlots: damage.slots,
      damagedInternEntries: damage.internEntries,
      damagedStateCopies: damage.stateCopies,
      missingBytes: damage.missingBytes,
    },
  };
}

/** The records a recovered ring holds, as a snapshot would capture them. */
export function recoveredRecords(persisted: PersistedRing): number {
  return captureRing(persisted.ring).counters.captured;
}

/** A persisted file's bytes as the bytes of the snapshot file it recovers to, for reading in memory. */
export function persistedSnapshotBytes(persisted: PersistedRing): Buffer {
  const request = recoveredRequest(persisted);
  const encoder = new SnapshotEncoder(persisted.ring, captureRing(persisted.ring));
  const chunks = [...encoder.chunkBlocks()];
  const prefix = encoder.filePrefix({
    ...request.origin,
    reason: request.reason,
    resource: request.resource?.attributes ?? {},
    producer: { name: 'ttlog', version: VERSION },
    cause: request.cause,
  });
  return Buffer.concat([prefix, ...chunks, encoder.endBlock()]);
}

/**
 * Recovers the persisted files in `directory` whose owners are gone (see the top of this file),
 * through `writer`; resolves to the snapshot files written. Failures go to `diag`; a file that
 * failed to write stays claimed for a later start.
 */
export async function recoverDeadOwners(directory: string, writer: SnapshotWriter): Promise<string[]> {
  const written: string[] = [];
  const self = currentProcess();
  let names: string[];
  try {
    names = await readdir(directory);
  } catch {
    return written; // no directory yet: nothing to recover
  }
  for (const name of names.sort()) {
    const claimed = await claim(directory, name, self);
    if (claimed === undefined) continue;
    try {
      const persisted = readPersistedRing(await readFile(claimed.path));
      written.push(await writer.write(recoveredRequest(persisted)));
      await unlink(claimed.path);
      const lockFile = lockFilePath(directory, persisted.owner.lock);
      if (lockFile !== undefined) await unlink(lockFile).catch(() => undefined);
    } catch (error) {
      if (error instanceof PersistedFileError) {
        // Nothing in it can be recovered, now or later.
        diag.warn(`ttlog: removing the persisted ring ${claimed.path}: ${error.message}`);
        await unlink(claimed.path).catch(() => undefined);
      } else {
        diag.error(`ttlog: recovering the persisted ring ${claimed.path} failed: ${(error as Error).message}`);
      }
    }
  }
  return written;
}

/** Claims `name` for this process when it is a persisted file of a gone owner, or a claim of a gone recoverer; its new path. */
async function claim(directory: string, name: string, self: ProcessIdentity): Promise<{ path: string } | undefined> {
  if (isPersistedFileName(name)) {
    const owner = await readOwner(join(directory, name));
    if (owner === undefined || !(await ownerIsGone(directory, owner))) return undefined;
  } else {
    const recoverer = claimOwner(name);
    if (recoverer === undefined || ownerState(recoverer) !== 'gone') return undefined;
  }
  const path = join(directory, claimedFileName(unclaimedFileName(name), self));
  try {
    await rename(join(directory, name), path);
    return { path };
  } catch {
    return undefined; // another process claimed it first
  }
}

/** Whether a persisted file's owner is certainly not running. */
async function ownerIsGone(directory: string, owner: PersistedOwner): Promise<boolean> {
  if ((await probeLock(directory, owner.lock)) !== 'free') return false;
  const state = ownerState({ space: owner.space, pid: owner.pid, start: owner.start });
  return owner.lock.kind === 'path' ? state !== 'alive' : state === 'gone';
}

/** The owner a persisted file's prefix names; `undefined` when it cannot be read (a file still being made, too). */
async function readOwner(path: string): Promise<PersistedOwner | undefined> {
  try {
    const handle = await open(path, 'r');
    try {
      const prefix = Buffer.alloc(PREFIX_BYTES);
      await handle.read(prefix, 0, PREFIX_BYTES, 0);
      return readPersistedOwner(prefix);
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}
