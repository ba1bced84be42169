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
  let path = resolve(directory);
  while (walksOn(directory, path, await kindOf(fs, directory, path), missing)) path = dirname(path);
  for (const component of missing.reverse()) {
    try {
      await fs.promises.mkdir(component, { mode: DIRECTORY_MODE });
    } catch (error) {
      checkMadeMeanwhile(directory, component, error);
      if ((await kindOf(fs, directory, component)) !== 'directory') throw notADirectory(directory, component);
    }
  }
}

/** {@link ensureDirectory} without giving up the thread: the same walk with sync calls. */
export function ensureDirectorySync(fs: SnapshotFileSystem, directory: string): void {
  const missing: string[] = [];
  let path = resolve(directory);
  while (walksOn(directory, path, kindOfSync(fs, directory, path), missing)) path = dirname(path);
  for (const component of missing.reverse()) {
    try {
      fs.mkdirSync(component, { mode: DIRECTORY_MODE });
    } catch (error) {
      checkMadeMeanwhile(directory, component, error);
      if (kindOfSync(fs, directory, component) !== 'directory') throw notADirectory(directory, component);
    }
  }
}

/**
 * One step of the walk up: notes a missing `path` and says whether to go on to its parent; stops
 * at an existing directory or the root, and throws at a path that is not a directory.
 */
function walksOn(directory: string, path: string, kind: PathKind, missing: string[]): boolean {
  if (kind === 'directory') return false;
  if (kind === 'other') throw notADirectory(directory, path);
  missing.push(path);
  return dirname(path) !== path;
}

/**
 * A failed `mkdir`: EEXIST means another writer made the path first (the caller then checks it is
 * a directory); anything else stops the walk.
 */
function checkMadeMeanwhile(directory: string, path: string, error: unknown): void {
  if (errorCode(error) !== 'EEXIST') throw cannotCreate(directory, path, error);
}

async function kindOf(fs: SnapshotFileSystem, directory: string, path: string): Promise<PathKind> {
  try {
    return statKind(await fs.promises.stat(path));
  } catch (error) {
    return missingKind(directory, path, error);
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
