/**
 * Crash snapshots that earlier processes left in the snapshot directory → the hand-off exporter.
 * An uncaught exception or `process.exit()` leaves no time for network I/O, so those snapshots
 * stay files; the next process that starts with the same directory (a restarted container, with
 * the directory on a volume that outlives it) sends them on.
 *
 * Which files: snapshot files of this service whose reason is a crash reason, not written by this
 * process's ring, without a `done` marker (handoff-marker.ts). Each is read through the public
 * reader (damaged chunks are skipped, so a damaged file hands off its intact records), in batches,
 * one export in flight; after each batch the marker records how far it got, so a start killed
 * mid-way is resumed by the next one, and a file whose export fails is tried again on a later
 * start. Records the writing process had handed off live (the marker it wrote at the crash) are
 * left out, and so is the `exit` snapshot of a process that exited with code 0: that is no crash.
 *
 * The pass ends at the first failed export (the collector is down: every further file would wait
 * for its own timeout, and all of them are tried again on a later start), and between batches
 * once the processor shuts down (the marker keeps the place for the next start).
 */
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { SnapshotFormatError } from '../read/errors.ts';
import { openSnapshot } from '../read/reader.ts';
import { parseSnapshotFileName, sanitizeNamePart } from '../snapshot/file-name.ts';
import { CRASH_REASONS } from '../snapshot/snapshot-reason.ts';
import type { SnapshotDamage, SnapshotRecord } from '../types.ts';
import { type ExportRun, exportRecords } from './export-records.ts';
import type { FailureReport } from './failure-report.ts';
import { HandedOffTickets } from './handed-off-tickets.ts';
import { type HandoffMarker, MARKER_SUFFIX, readMarker, writeMarker } from './handoff-marker.ts';
import type { HandoffSettings } from './handoff-settings.ts';
import { ReadableRecords } from './readable-records.ts';

const CRASH_NAME_PARTS: ReadonlySet<string> = new Set(CRASH_REASONS.map(sanitizeNamePart));

/** What a recovery pass needs: where to look, whose files to take, and how to send and report. */
export interface RecoveryRequest {
  /** The snapshot directory to read. */
  readonly directory: string;
  /** The service whose crash snapshots to hand off, as the processor names it (not yet sanitized for file names). */
  readonly service: string;
  /** This process's ring (hex): its own crash snapshots are its live hand-off's business. */
  readonly ownRing: string;
  readonly settings: HandoffSettings;
  /** Where failures go: the hand-off's one rate-limited report, shared with its live hand-offs. */
  readonly report: FailureReport;
  /** One export through the hand-off's queue, so recovery and live hand-offs take turns. */
  readonly send: ExportRun['send'];
  /** True once the processor shuts down: the recovery stops before its next file. */
  readonly stopped: () => boolean;
}

/** What a recovery pass did. */
export interface RecoveryOutcome {
  files: number;
  failedFiles: number;
  exported: number;
  /** Records of damaged chunks: never readable, so never handed off. */
  lost: number;
}

/** How one file went: its records exported and lost, or why it was not handed off. */
type FileResult = { exported: number; lost: number } | 'failed' | 'export-failed' | 'stopped' | 'own';

/**
 * Hands off the crash snapshots of earlier processes in the request's directory, in name order,
 * and removes the markers of snapshots that retention has removed. A file that fails stays for a
 * later start and its failure goes to `request.report`; an I/O failure outside an export (the
 * directory, a marker) rejects the promise.
 */
export async function recoverCrashFiles(request: RecoveryRequest): Promise<RecoveryOutcome> {
  const outcome: RecoveryOutcome = { files: 0, failedFiles: 0, exported: 0, lost: 0 };
  const names = await directoryNames(request.directory);
  const present = new Set(names);
  const service = sanitizeNamePart(request.service);
  for (const name of names.sort()) {
    if (request.stopped()) break;
    if (name.endsWith(MARKER_SUFFIX)) {
      // The snapshot it marked was removed by retention: the marker has nothing left to say.
      if (!present.has(name.slice(0, -MARKER_SUFFIX.length))) await unlink(join(request.directory, name)).catch(() => undefined);
      continue;
    }
    const parts = parseSnapshotFileName(name);
    if (parts === undefined || parts.service !== service || !CRASH_NAME_PARTS.has(parts.reason)) continue;
    const path = join(request.directory, name);
    const marker = await readMarker(path);
    if (marker?.done) continue;
    const result = await recoverFile(path, marker ?? { done: false, read: 0 }, request);
    if (result === 'own') continue;
    if (result === 'stopped') break;
    if (result === 'failed' || result === 'export-failed') {
      outcome.failedFiles++;
      if (result === 'export-failed') break;
    } else {
      outcome.files++;
      outcome.exported += result.exported;
      outcome.lost += result.lost;
    }
    await yieldToEventLoop();
  }
  return outcome;
}

/** The names in the snapshot directory; none when it does not exist yet (nothing was ever written there). */
async function directoryNames(directory: string): Promise<string[]> {
  try {
    return await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Hands off one file; `'own'` for a file not to hand off (this ring's, a clean exit's). */
async function recoverFile(path: string, marker: HandoffMarker, request: RecoveryRequest): Promise<FileResult> {
  const { settings } = request;
  let reader: Awaited<ReturnType<typeof openSnapshot>>;
  try {
    reader = await openSnapshot(path);
  } catch (error) {
    if (!(error instanceof SnapshotFormatError)) {
      request.report.failed(`handing off ${path}`, error as Error);
      return 'failed';
    }
    // Not a snapshot that can ever be read: nothing to hand off, now or later.
    await writeMarker(path, { done: true, read: 0 });
    return { exported: 0, lost: 0 };
  }
  const { metadata } = reader;
  if (metadata.ring !== undefined && metadata.ring === request.ownRing) {
    await reader.close();
    return 'own';
  }
  if (metadata.reason === 'exit' && metadata.cause?.exitCode === 0) {
    // A clean exit is no crash: what its ring held stays local, as it would have in the process.
    await reader.close();
    await writeMarker(path, { done: true, read: 0 });
    return 'own';
  }
  const handedOffLive = liveTickets(marker, metadata.ring);
  let position = 0;
  const skip = (record: SnapshotRecord) => position++ < marker.read || (handedOffLive?.has(record.lane ?? 0, record.seq) ?? false);
  const progress = (read: number): HandoffMarker => ({ done: false, read, ring: marker.ring, lanes: marker.lanes });
  let stopped = false;
  const batches = untilStopped(reader.chunks({ maxRecords: settings.maxExportBatchSize }), () => {
    stopped = request.stopped();
    return stopped;
  });
  const outcome = await exportRecords(batches, {
    send: request.send,
    builder: new ReadableRecords(ReadableRecords.fileResource(metadata.resource)),
    skip,
    total: metadata.records,
    exported: (_batch, read) => writeMarker(path, progress(read)),
  });
  if (outcome.error !== undefined) {
    request.report.failed(`handing off ${path}`, outcome.error);
    return 'export-failed';
  }
  if (stopped) return 'stopped';
  await writeMarker(path, { done: true, read: position });
  return { exported: outcome.exported, lost: lostRecords(reader.damage) };
}

/** The batches of `source` until `stopped()` says so before the next one; the source is closed either way. */
async function* untilStopped<T>(source: AsyncGenerator<T>, stopped: () => boolean): AsyncGenerator<T> {
  try {
    for await (const batch of source) {
      if (stopped()) return;
      yield batch;
    }
  } finally {
    await source.return(undefined);
  }
}

/** Records the damage report says were lost; a damaged part that does not say how many counts as none known. */
function lostRecords(damage: readonly SnapshotDamage[]): number {
  return damage.reduce((sum, entry) => sum + (entry.records ?? 0), 0);
}

/** What the writing process had handed off live, when its marker is of this file's ring. */
function liveTickets(marker: HandoffMarker, ring: string | undefined): HandedOffTickets | undefined {
  if (marker.lanes === undefined || ring === undefined || marker.ring !== ring) return undefined;
  return HandedOffTickets.fromLanes(marker.lanes);
}
