/**
 * Where a bare `ttlog-view` (no PATH) looks: where `SnapshotExporter` writes when its options
 * name no directory — `TTLOG_SNAPSHOT_DIR`, else the OS temp directory. A snapshot directory of
 * one's own is read as a PATH would be (its `*.bin` files); in the temp directory, which other
 * programs share, only the names ttlog gives its snapshots count (`ttlog-….bin`).
 */
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { describeError, expandPaths, type ReportProblem } from './sources.ts';
import { terminalText } from './values.ts';

/** The start and end of every snapshot file name ttlog writes (`ttlog-{service}-{pid}-{time}-{seq}-{reason}.bin`). */
const NAME_START = 'ttlog-';
const NAME_END = '.bin';

/** Where a bare `ttlog-view` looks, and why there. */
interface DefaultLocation {
  readonly directory: string;
  /** `TTLOG_SNAPSHOT_DIR` set: the whole directory is snapshots; else the temp directory, shared with other programs. */
  readonly fromEnvironment: boolean;
}

/**
 * The snapshot files where the exporter writes by default, sorted by name, after a line on
 * `stderr` that says where that is (so that an empty result is no mystery); none there is
 * reported.
 */
export async function defaultSnapshotFiles(env: NodeJS.ProcessEnv, stderr: Writable, report: ReportProblem): Promise<string[]> {
  const location = defaultLocation(env);
  stderr.write(locationNote(location));
  if (location.fromEnvironment) return expandPaths([location.directory], report);
  let names: string[];
  try {
    names = await readdir(location.directory);
  } catch (error) {
    report(`${location.directory}: ${describeError(error)}`);
    return [];
  }
  const snapshots = names.filter((name) => name.startsWith(NAME_START) && name.endsWith(NAME_END)).sort();
  if (snapshots.length === 0) report(`${location.directory}: no snapshot files (${NAME_START}*${NAME_END}) in this directory`);
  return snapshots.map((name) => join(location.directory, name));
}

/** The exporter's default directory in this environment (the ttlog package's snapshot/exporter.ts): an empty variable counts as unset. */
function defaultLocation(env: NodeJS.ProcessEnv): DefaultLocation {
  const configured = env.TTLOG_SNAPSHOT_DIR;
  return configured ? { directory: configured, fromEnvironment: true } : { directory: tmpdir(), fromEnvironment: false };
}

function locationNote({ directory, fromEnvironment }: DefaultLocation): string {
  const where = fromEnvironment
    ? `${directory} (TTLOG_SNAPSHOT_DIR)`
    : `${NAME_START}*${NAME_END} in ${directory} (the OS temp directory; TTLOG_SNAPSHOT_DIR is not set)`;
  return `ttlog-view: no PATH given, reading ${terminalText(where)}\n`;
}
