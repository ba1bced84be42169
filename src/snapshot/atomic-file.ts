/**
 * Writing a snapshot so that it is either complete under its final name or not there at all:
 * directory made if missing (directory.ts) → temp file (0600) in it, named after this process
 * (temp-file.ts) → write → fsync → link to the final name (which fails rather than overwrite an
 * existing file) → unlink the temp → fsync the directory. On any failure the temp file is removed
 * and the error goes to the caller.
 *
 * There is an async and a sync version with the same arguments: the sync one is for paths where
 * the event loop may not turn again (crash capture). It cannot be timed out, so every loop in it
 * is bounded: the directory walk by the path's components, the name loop by MAX_NAME_ATTEMPTS,
 * the write loop by refusing a write that makes no progress. The async one stops at its next step
 * once its signal is aborted (the writer's timeout). The file system is injectable so tests can
 * simulate a full disk or one that stops answering.
 */

import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import type { SnapshotFileHandle, SnapshotFileSystem } from '../types.ts';
import type { StepLimit } from './deadline.ts';
import { ensureDirectory, ensureDirectorySync } from './directory.ts';
import { tempFileName } from './temp-file.ts';

/** `node:fs` itself. */
export const defaultFileSystem: SnapshotFileSystem = nodeFs;

const FILE_MODE = 0o600;
/** Link errors that mean "this file system has no hard links": fall back to rename. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);
/** Errors that mean "this file system cannot fsync a directory": the write stands without it. */
const NO_DIRECTORY_SYNC = new Set(['EISDIR', 'EINVAL', 'EPERM', 'EACCES']);
const MAX_NAME_ATTEMPTS = 100;

/** Picks the final file name; called again for a new name when one is taken. */
export type NextName = () => string;

/**
 * Writes `blocks` under a name from `nextName` in `directory`; resolves to the file's path. Each
 * step that ends tells `limit` of its progress. Once `limit.signal` is aborted, the write stops
 * at its next step, rejects with the signal's reason and
 * removes its temp file; a step that never ends keeps its promise pending, so the temp file is
 * also removed right away, in case the file system still answers that.
 */
export async function writeFileAtomically(
  fs: SnapshotFileSystem,
  directory: string,
  nextName: NextName,
  blocks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  limit?: StepLimit,
): Promise<string> {
  const signal = limit?.signal;
  const step = () => {
    signal?.throwIfAborted();
    limit?.progress();
  };
  await ensureDirectory(fs, directory);
  step();
  const temp = join(directory, tempFileName());
  const removeTemp = () => fs.promises.unlink(temp).catch(() => undefined);
  signal?.addEventListener('abort', removeTemp, { once: true });
  try {
    const handle = await fs.promises.open(temp, 'wx', FILE_MODE);
    try {
      for await (const block of blocks) {
        for (let done = 0; done < block.length; ) {
          step();
          done += progress((await handle.write(block, done, block.length - done)).bytesWritten);
        }
      }
      step();
      await handle.sync();
    } finally {
      await handle.close();
    }
    step();
    const path = await publish(fs, directory, nextName, temp);
    await syncDirectory(fs, directory);
    return path;
  } catch (error) {
    await removeTemp();
    throw error;
  } finally {
    signal?.removeEventListener('abort', removeTemp);
  }
}

/** {@link writeFileAtomically} without giving up the thread, same arguments; takes only sync blocks. */
export function writeFileAtomicallySync(fs: SnapshotFileSystem, directory: string, nextName: NextName, blocks: Iterable<Uint8Array>): string {
  ensureDirectorySync(fs, directory);
  const temp = join(directory, tempFileName());
  try {
    const fd = fs.openSync(temp, 'wx', FILE_MODE);
    try {
      for (const block of blocks) {
        for (let done = 0; done < block.length; ) done += progress(fs.writeSync(fd, block, done, block.length - done));
      }
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    const path = publishSync(fs, directory, nextName, temp);
    syncDirectorySync(fs, directory);
    return path;
  } catch (error) {
    try {
      fs.unlinkSync(temp);
    } catch {
      // The temp file was never created, or is already gone.
    }
    throw error;
  }
}

/**
 * Gives the temp file its final name without ever replacing a file that has that name. `link`
 * fails with EEXIST on a taken name, and the next name is tried: this is what keeps two writers
 * in one process (or two processes sharing a pid namespace's directory) from overwriting each
 * other. Without hard links, `rename` would replace silently, so a name found to exist is skipped
 * first; that check and the rename are two steps, so this fallback is only as safe as the
 * sequence numbers that make names distinct in the first place.
 */
async function publish(fs: SnapshotFileSystem, directory: string, nextName: NextName, temp: string): Promise<string> {
  let linkable = true;
  for (let attempt = 0; attempt < MAX_NAME_ATTEMPTS; attempt++) {
    const path = join(directory, nextName());
    if (linkable) {
      const outcome = await fs.promises.link(temp, path).then(() => 'linked' as const, linkFailure);
      if (outcome === 'taken') continue;
      if (outcome === 'linked') {
        await fs.promises.unlink(temp);
        return path;
      }
      linkable = false;
    }
    if (await exists(fs, path)) continue;
    await fs.promises.rename(temp, path);
    return path;
  }
  throw noFreeName(directory);
}

function publishSync(fs: SnapshotFileSystem, directory: string, nextName: NextName, temp: string): string {
  let linkable = true;
  for (let attempt = 0; attempt < MAX_NAME_ATTEMPTS; attempt++) {
    const path = join(directory, nextName());
    if (linkable) {
      let outcome: LinkOutcome;
      try {
        fs.linkSync(temp, path);
        outcome = 'linked';
      } catch (error) {
        outcome = linkFailure(error);
      }
      if (outcome === 'taken') continue;
      if (outcome === 'linked') {
        fs.unlinkSync(temp);
        return path;
      }
      linkable = false;
    }
    if (existsSync(fs, path)) continue;
    fs.renameSync(temp, path);
    return path;
  }
  throw noFreeName(directory);
}

type LinkOutcome = 'linked' | 'taken' | 'no-links';

/** What a failed `link` means for the name loop; errors that mean neither are rethrown. */
function linkFailure(linkError: unknown): 'taken' | 'no-links' {
  const code = errorCode(linkError);
  if (code === 'EEXIST') return 'taken';
  if (NO_LINKS.has(code)) return 'no-links';
  throw linkError;
}

/** Through `open`, which the injectable file system already has, so it needs no `stat` of its own. */
async function exists(fs: SnapshotFileSystem, path: string): Promise<boolean> {
  try {
    await (await fs.promises.open(path, 'r')).close();
    return true;
  } catch (error) {
    return isPresent(error);
  }
}

function existsSync(fs: SnapshotFileSystem, path: string): boolean {
  try {
    fs.closeSync(fs.openSync(path, 'r'));
    return true;
  } catch (error) {
    return isPresent(error);
  }
}

/** An error opening a path: ENOENT means free; any other (EACCES, say) means it is there. */
function isPresent(openError: unknown): boolean {
  return errorCode(openError) !== 'ENOENT';
}

function noFreeName(directory: string): Error {
  return new Error(`ttlog: no free snapshot name after ${MAX_NAME_ATTEMPTS} attempts in ${directory}`);
}

/** Makes the new directory entry durable; file systems that cannot fsync a directory are skipped. */
async function syncDirectory(fs: SnapshotFileSystem, directory: string): Promise<void> {
  let handle: SnapshotFileHandle | undefined;
  try {
    handle = await fs.promises.open(directory, 'r');
    await handle.sync();
  } catch (error) {
    if (!NO_DIRECTORY_SYNC.has(errorCode(error))) throw error;
  } finally {
    await handle?.close();
  }
}

function syncDirectorySync(fs: SnapshotFileSystem, directory: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(directory, 'r');
    fs.fsyncSync(fd);
  } catch (error) {
    if (!NO_DIRECTORY_SYNC.has(errorCode(error))) throw error;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** A write that wrote nothing would be retried forever: it fails instead, as a full disk would. */
function progress(bytesWritten: number): number {
  if (bytesWritten > 0) return bytesWritten;
  throw Object.assign(new Error('ttlog: the file system wrote 0 bytes of a snapshot block'), { code: 'EIO' });
}

function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
}
