/**
 * PATH arguments → open snapshots. A directory stands for the snapshot files directly inside it;
 * a file that cannot be opened is reported and skipped so that one bad file among many does not
 * hide the others.
 */
import type { Stats } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isPersistedFile, type MergedRecord, openSnapshot, readPersistedFile, type SnapshotMetadata, type SnapshotReader } from 'ttlog';
import { terminalText } from './values.ts';

/** One open snapshot file. */
export interface SnapshotSource {
  /** Position among the inputs, for a stable order between records with equal timestamps. */
  readonly index: number;
  readonly path: string;
  /** `service/pid`, shown on every line so merged timelines say where a record came from; escaped for a terminal (values.ts). */
  readonly label: string;
  readonly metadata: SnapshotMetadata;
  readonly reader: SnapshotReader;
}

/** A record and the snapshot it came from (the first, when several snapshots of its ring hold it). */
export type ViewRecord = MergedRecord<SnapshotSource>;

/** Reports a problem with an input; the command goes on and exits 1 at the end. */
export type ReportProblem = (message: string) => void;

/** The snapshot files named by `paths`, in order, directories expanded (their `*.bin` files, sorted by name). */
export async function expandPaths(paths: readonly string[], report: ReportProblem): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    let info: Stats;
    try {
      info = await stat(path);
    } catch (error) {
      report(`${path}: ${describeError(error)}`);
      continue;
    }
    if (!info.isDirectory()) {
      files.push(path);
      continue;
    }
    let names: string[];
    try {
      names = await readdir(path);
    } catch (error) {
      report(`${path}: ${describeError(error)}`);
      continue;
    }
    // Temp files of an atomic write start with a dot (the ttlog package's snapshot/atomic-file.ts) and are skipped.
    const snapshots = names.filter((name) => name.endsWith('.bin') && !name.startsWith('.')).sort();
    if (snapshots.length === 0) report(`${path}: no snapshot files (*.bin) in this directory`);
    for (const name of snapshots) files.push(join(path, name));
  }
  return [...new Set(files)];
}

/** Opens each file and reads its header; files that fail are reported and left out. */
export async function openSources(files: readonly string[], report: ReportProblem): Promise<SnapshotSource[]> {
  const sources: SnapshotSource[] = [];
  for (const path of files) {
    try {
      const reader = await openSnapshotOrPersisted(path, report);
      const metadata = reader.metadata;
      sources.push({ index: sources.length, path, label: terminalText(`${metadata.service || 'unknown'}/${metadata.pid}`), metadata, reader });
    } catch (error) {
      report(`${path}: ${describeError(error)}; skipped`);
    }
  }
  return sources;
}

/** A snapshot file, or a persisted ring file (told by its magic) read as the snapshot it recovers to. */
async function openSnapshotOrPersisted(path: string, report: ReportProblem): Promise<SnapshotReader> {
  if (!(await startsLikePersisted(path))) return openSnapshot(path);
  const { bytes, damage } = await readPersistedFile(path);
  if (damage.slots + damage.internEntries + damage.stateCopies > 0 || damage.missingBytes > 0) {
    report(`${path}: persisted ring damaged (${damage.slots} records, ${damage.internEntries} strings failed their checks); the intact records are shown`);
  }
  return openSnapshot(bytes);
}

async function startsLikePersisted(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return isPersistedFile(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/** Reports each damaged part of `source`'s file that the reader has met. */
export function reportDamage(source: SnapshotSource, report: ReportProblem): void {
  for (const damage of source.reader.damage) {
    const lost = damage.records === undefined ? '' : ` (${damage.records} records lost)`;
    report(`${source.path}: damaged at byte ${damage.offset}: ${damage.message}${lost}; the intact records are shown`);
  }
}

/** An error's message without a stack, for one line on stderr. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : error.message;
  }
  return String(error);
}
