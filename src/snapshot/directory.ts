/**
 * Making sure the snapshot directory exists, without `mkdir({ recursive: true })`: Node's
 * recursive mkdir retries for as long as the parent "exists but the child cannot be made" (a path
 * under /proc, some stale mounts), spinning a core without end. Here the path is walked by hand,
 * a bounded number of steps: up to the first component that exists, which must be a directory,
 * then down again creating each missing component (mode 0700) once. The first component that is
 * not a directory, or that cannot be made, stops the walk with an error naming it; the error keeps
 * the failing call's `code` (ENOTDIR, ENOENT, EACCES, …).
 *
 * There is an async and a sync version, as for the atomic write they serve.
 */
import { dirname, resolve } from 'node:path';
import type { SnapshotFileSystem } from '../types.ts';

const DIRECTORY_MODE = 0o700;

type PathKind = 'directory' | 'other' | 'missing';

/** Creates `directory` and its missing parents, one component at a time. */
export async function ensureDirectory(fs: SnapshotFileSystem, directory: string): Promise<void> {
  const missing: string[] = [];
  for (let path = resolve(directory); ; path = dirname(path)) {
    const kind = await fs.promises.stat(path).then(statKind, (error: unknown) => missingKind(directory, path, error));
    if (kind === 'directory') break;
    if (kind === 'other') throw notADirectory(directory, path);
    missing.push(path);
    if (dirname(path) === path) break;
  }
  for (const path of missing.reverse()) {
    try {
      await fs.promises.mkdir(path, { mode: DIRECTORY_MODE });
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw cannotCreate(directory, path, error);
      // Another writer made it first; it still has to be a directory.
      const kind = await fs.promises.stat(path).then(statKind, (statError: unknown) => missingKind(directory, path, statError));
      if (kind !== 'directory') throw notADirectory(directory, path);
    }
  }
}

/** {@link ensureDirectory} without giving up the thread. */
export function ensureDirectorySync(fs: SnapshotFileSystem, directory: string): void {
  const missing: string[] = [];
  for (let path = resolve(directory); ; path = dirname(path)) {
    const kind = kindOfSync(fs, directory, path);
    if (kind === 'directory') break;
    if (kind === 'other') throw notADirectory(directory, path);
    missing.push(path);
    if (dirname(path) === path) break;
  }
  for (const path of missing.reverse()) {
    try {
      fs.mkdirSync(path, { mode: DIRECTORY_MODE });
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw cannotCreate(directory, path, error);
      if (kindOfSync(fs, directory, path) !== 'directory') throw notADirectory(directory, path);
    }
  }
}

function kindOfSync(fs: SnapshotFileSystem, directory: string, path: string): PathKind {
  try {
    return statKind(fs.statSync(path));
  } catch (error) {
    return missingKind(directory, path, error);
  }
}

function statKind(stats: { isDirectory(): boolean }): PathKind {
  return stats.isDirectory() ? 'directory' : 'other';
}

/**
 * A failed `stat`: ENOENT, and ENOTDIR (a parent further up is a file, which the walk reaches
 * next and reports), mean "not there yet"; anything else (EACCES, ELOOP) stops the walk.
 */
function missingKind(directory: string, path: string, error: unknown): 'missing' {
  const code = errorCode(error);
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
  throw directoryError(directory, `${path} cannot be examined (${code || 'unknown error'})`, code, error);
}

function notADirectory(directory: string, path: string): Error {
  return directoryError(directory, `${path} is not a directory (ENOTDIR)`, 'ENOTDIR', undefined);
}

function cannotCreate(directory: string, path: string, error: unknown): Error {
  const code = errorCode(error);
  return directoryError(
    directory,
    `${path} cannot be created (${code || 'unknown error'}${code === 'ENOENT' ? ' although its parent exists' : ''})`,
    code,
    error,
  );
}

function directoryError(directory: string, problem: string, code: string, cause: unknown): Error {
  const error = new Error(`ttlog: cannot use snapshot directory ${directory}: ${problem}`, cause === undefined ? undefined : { cause });
  return code === '' ? error : Object.assign(error, { code });
}

function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
}
