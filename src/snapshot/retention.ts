/**
 * Retention: after each write, the oldest snapshot files of the exporter's service are removed
 * from its directory until `maxFiles`, `maxBytes` and `maxAgeMs` hold. Only names that
 * parseSnapshotFileName recognises, with this service's (sanitized) name, are candidates: files
 * ttlog did not name, temp files and other services' snapshots are never touched.
 *
 * Age is the file's modification time, not the time in its name: a name carries the clock of the
 * moment it was written, which may since have been stepped back, or belong to another machine the
 * file was copied from, and a name from the future would stay "newest" for ever. The file just
 * written is never removed, whatever the other files' times say: it is the one the caller is
 * handed; nor are the other files its writer is still writing (several processors may share one
 * exporter, and a concurrent pass must not remove their files either). A file's header has its
 * `createdAt` too, but reading it means decoding the header of every candidate after every write,
 * and it carries the same clock as the name.
 *
 * With `protectCrashSnapshots` (the default) crash snapshots and the rest are two groups, each
 * held to the limits on its own, so a stream of periodic snapshots cannot push out the crash
 * snapshot someone still needs to read.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { RetentionOptions } from '../types.ts';
import { parseSnapshotFileName, sanitizeNamePart } from './file-name.ts';
import { CRASH_REASONS } from './snapshot-reason.ts';

/** Crash reasons as file names carry them. */
const CRASH_NAME_PARTS: ReadonlySet<string> = new Set(CRASH_REASONS.map(sanitizeNamePart));

interface Candidate {
  readonly name: string;
  /** The time in the name: only a tie-break between files modified in the same millisecond. */
  readonly nameTime: number;
  readonly seq: number;
  readonly crash: boolean;
  /** Modification time, ms since the epoch. */
  modified: number;
  size: number;
}

/** Checks retention options when the exporter is built, so a typo fails at startup. */
export function checkedRetention(options: RetentionOptions | undefined): RetentionOptions | undefined {
  if (options === undefined) return undefined;
  for (const [name, min] of [
    ['maxFiles', 1],
    ['maxBytes', 1],
    ['maxAgeMs', 1],
  ] as const) {
    const value = options[name];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < min)) {
      throw new RangeError(`ttlog: retention.${name} must be a positive integer, got ${String(value)}`);
    }
  }
  return { ...options };
}

/**
 * Removes what `options` says to remove, never a name in `written` (the files being written, or
 * just written, whose paths the caller has not been handed yet; read when the pass chooses, so
 * names added meanwhile count); returns the names removed. The sync twin is for crash paths; both
 * list, stat and choose the same way and differ only in their I/O calls.
 */
export function applyRetentionSync(directory: string, service: string, options: RetentionOptions, written: ReadonlySet<string>, now = Date.now()): string[] {
  const candidates = listCandidates(fs.readdirSync(directory), service);
  for (const candidate of candidates) noteStats(candidate, fs.statSync(join(directory, candidate.name), { throwIfNoEntry: false }));
  const doomed = choose(candidates, options, written, now);
  for (const name of doomed) removeSync(join(directory, name));
  return doomed;
}

/** {@link applyRetentionSync} without blocking the thread. */
export async function applyRetention(
  directory: string,
  service: string,
  options: RetentionOptions,
  written: ReadonlySet<string>,
  now = Date.now(),
): Promise<string[]> {
  const candidates = listCandidates(await fs.promises.readdir(directory), service);
  for (const candidate of candidates) {
    noteStats(candidate, await fs.promises.stat(join(directory, candidate.name)).catch(() => undefined));
  }
  const doomed = choose(candidates, options, written, now);
  await Promise.all(doomed.map((name) => fs.promises.unlink(join(directory, name)).catch(ignoreMissing)));
  return doomed;
}

function listCandidates(names: readonly string[], service: string): Candidate[] {
  const wanted = sanitizeNamePart(service);
  const candidates: Candidate[] = [];
  for (const name of names) {
    const parts = parseSnapshotFileName(name);
    if (parts === undefined || parts.service !== wanted) continue;
    candidates.push({ name, nameTime: parts.time, seq: parts.seq, crash: CRASH_NAME_PARTS.has(parts.reason), modified: 0, size: 0 });
  }
  return candidates;
}

/**
 * A file that vanished meanwhile (another process pruning the same directory) counts as empty and
 * as old as can be; removing it again is harmless.
 */
function noteStats(candidate: Candidate, stats: fs.Stats | undefined): void {
  candidate.modified = stats?.mtimeMs ?? 0;
  candidate.size = stats?.size ?? 0;
}

/** The files just written first, then newest first within each group; everything past a limit, and everything too old, goes. */
function choose(candidates: Candidate[], options: RetentionOptions, written: ReadonlySet<string>, now: number): string[] {
  const protect = options.protectCrashSnapshots ?? true;
  const groups = protect ? [candidates.filter((c) => c.crash), candidates.filter((c) => !c.crash)] : [candidates];
  const doomed: string[] = [];
  const rank = (candidate: Candidate) => (written.has(candidate.name) ? 1 : 0);
  for (const group of groups) {
    group.sort((a, b) => rank(b) - rank(a) || b.modified - a.modified || b.nameTime - a.nameTime || b.seq - a.seq);
    let files = 0;
    let bytes = 0;
    for (const candidate of group) {
      files++;
      bytes += candidate.size;
      if (written.has(candidate.name)) continue;
      const tooMany = options.maxFiles !== undefined && files > options.maxFiles;
      // The newest file always stays, even alone over maxBytes: it was written for a reason.
      const tooBig = options.maxBytes !== undefined && files > 1 && bytes > options.maxBytes;
      const tooOld = options.maxAgeMs !== undefined && now - candidate.modified > options.maxAgeMs;
      if (tooMany || tooBig || tooOld) doomed.push(candidate.name);
    }
  }
  return doomed;
}

function removeSync(path: string): void {
  try {
    fs.unlinkSync(path);
  } catch (error) {
    ignoreMissing(error);
  }
}

/** Another process pruning the same directory may have removed it first. */
function ignoreMissing(error: unknown): void {
  if ((error as { code?: unknown })?.code !== 'ENOENT') throw error;
}
