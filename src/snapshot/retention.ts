/**
 * Retention: after each write, the oldest snapshot files of the exporter's service are removed
 * from its directory until `maxFiles`, `maxBytes` and `maxAgeMs` hold. Only names that
 * parseSnapshotFileName recognises, with this service's (sanitized) name, are candidates: files
 * ttlog did not name, temp files and other services' snapshots are never touched.
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
  readonly time: number;
  readonly seq: number;
  readonly crash: boolean;
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
 * Removes what `options` says to remove; returns the names removed. The sync twin is for crash
 * paths; both list, size and choose the same way and differ only in their I/O calls.
 */
export function applyRetentionSync(directory: string, service: string, options: RetentionOptions, now = Date.now()): string[] {
  const candidates = listCandidates(fs.readdirSync(directory), service);
  if (options.maxBytes !== undefined) {
    for (const candidate of candidates) candidate.size = sizeOf(() => fs.statSync(join(directory, candidate.name)).size);
  }
  const doomed = choose(candidates, options, now);
  for (const name of doomed) removeSync(join(directory, name));
  return doomed;
}

/** {@link applyRetentionSync} without blocking the thread. */
export async function applyRetention(directory: string, service: string, options: RetentionOptions, now = Date.now()): Promise<string[]> {
  const candidates = listCandidates(await fs.promises.readdir(directory), service);
  if (options.maxBytes !== undefined) {
    for (const candidate of candidates) {
      candidate.size = await fs.promises.stat(join(directory, candidate.name)).then(
        (stat) => stat.size,
        () => 0,
      );
    }
  }
  const doomed = choose(candidates, options, now);
  await Promise.all(doomed.map((name) => fs.promises.unlink(join(directory, name)).catch(ignoreMissing)));
  return doomed;
}

function listCandidates(names: readonly string[], service: string): Candidate[] {
  const wanted = sanitizeNamePart(service);
  const candidates: Candidate[] = [];
  for (const name of names) {
    const parts = parseSnapshotFileName(name);
    if (parts === undefined || parts.service !== wanted) continue;
    candidates.push({ name, time: parts.time, seq: parts.seq, crash: CRASH_NAME_PARTS.has(parts.reason), size: 0 });
  }
  return candidates;
}

/** Newest first within each group; everything past a limit, and everything too old, goes. */
function choose(candidates: Candidate[], options: RetentionOptions, now: number): string[] {
  const protect = options.protectCrashSnapshots ?? true;
  const groups = protect ? [candidates.filter((c) => c.crash), candidates.filter((c) => !c.crash)] : [candidates];
  const doomed: string[] = [];
  for (const group of groups) {
    group.sort((a, b) => b.time - a.time || b.seq - a.seq);
    let files = 0;
    let bytes = 0;
    for (const candidate of group) {
      files++;
      bytes += candidate.size;
      const tooMany = options.maxFiles !== undefined && files > options.maxFiles;
      // The newest file always stays, even alone over maxBytes: it was just written for a reason.
      const tooBig = options.maxBytes !== undefined && files > 1 && bytes > options.maxBytes;
      const tooOld = options.maxAgeMs !== undefined && now - candidate.time > options.maxAgeMs;
      if (tooMany || tooBig || tooOld) doomed.push(candidate.name);
    }
  }
  return doomed;
}

function sizeOf(read: () => number): number {
  try {
    return read();
  } catch {
    return 0;
  }
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
