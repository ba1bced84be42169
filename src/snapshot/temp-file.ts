/**
 * The atomic write's temp files, named after their writer, `.ttlog-{space}-{pid}-{start}-{random}.tmp`
 * (process-identity.ts), so that one left behind by a process killed mid-write can be told apart
 * from one still being written, and removed: it holds log data nobody will ever read.
 *
 * A temp file is removed only when its writer is certainly gone: it lives in this process's pid
 * space and its process has ended (or its pid now belongs to a process started at another time).
 * A writer this process cannot look up (another container's pid namespace, another boot, a system
 * without /proc) is taken for gone only when the file has not been written to for
 * {@link ORPHAN_AGE_MS}: a live writer touches its temp file with every block and holds it for no
 * longer than one snapshot. Names of any other form are never touched.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { currentProcess, ownerState, type ProcessIdentity } from './process-identity.ts';

/** How long a temp file of a writer that cannot be looked up stays untouched before it counts as left behind. */
export const ORPHAN_AGE_MS = 24 * 60 * 60 * 1000;

const TEMP_NAME = /^\.ttlog-([0-9a-f]{12}|unknown)-([1-9]\d{0,9})-(0|[1-9]\d{0,19})-[0-9a-f]{16}\.tmp$/;

/** A new temp file name for this process: dot-led, never mistaken for a snapshot, random so it never clashes. */
export function tempFileName(): string {
  const { space, pid, start } = currentProcess();
  return `.ttlog-${space}-${pid}-${start}-${randomBytes(8).toString('hex')}.tmp`;
}

/** The writer a name made by {@link tempFileName} belongs to; `undefined` for any other name. */
export function tempFileOwner(name: string): ProcessIdentity | undefined {
  const match = TEMP_NAME.exec(name);
  if (match === null) return undefined;
  const [, space, pid, start] = match as unknown as [string, string, string, string];
  return { space, pid: Number(pid), start };
}

/** Removes the temp files in `directory` whose writers are gone; resolves to the names removed. */
export async function removeOrphanedTempFiles(directory: string, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  for (const [name, state] of ownersOf(await fs.promises.readdir(directory))) {
    const path = join(directory, name);
    if (state === 'unknown' && !isOld(await fs.promises.stat(path).catch(() => undefined), now)) continue;
    if (await fs.promises.unlink(path).then(() => true, ignoreMissing)) removed.push(name);
  }
  return removed;
}

/** {@link removeOrphanedTempFiles} without giving up the thread. */
export function removeOrphanedTempFilesSync(directory: string, now = Date.now()): string[] {
  const removed: string[] = [];
  for (const [name, state] of ownersOf(fs.readdirSync(directory))) {
    const path = join(directory, name);
    if (state === 'unknown' && !isOld(fs.statSync(path, { throwIfNoEntry: false }), now)) continue;
    try {
      fs.unlinkSync(path);
      removed.push(name);
    } catch (error) {
      ignoreMissing(error);
    }
  }
  return removed;
}

/**
 * The temp names among `names` whose writers are not alive. The lookups read /proc, which the
 * kernel answers from memory, so they are synchronous in the async sweep too.
 */
function ownersOf(names: readonly string[]): [string, 'gone' | 'unknown'][] {
  const found: [string, 'gone' | 'unknown'][] = [];
  for (const name of names) {
    const owner = tempFileOwner(name);
    if (owner === undefined) continue;
    const state = ownerState(owner);
    if (state !== 'alive') found.push([name, state]);
  }
  return found;
}

/** A file gone meanwhile, or whose time cannot be read, is not old. */
function isOld(stats: fs.Stats | undefined, now: number): boolean {
  return stats !== undefined && now - stats.mtimeMs > ORPHAN_AGE_MS;
}

/** Its writer, or another sweeper, may have removed it first. */
function ignoreMissing(error: unknown): false {
  if ((error as { code?: unknown })?.code !== 'ENOENT') throw error;
  return false;
}
