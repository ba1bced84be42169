/**
 * Several snapshots → one timeline with each record once: the library's `mergeSnapshots`, which
 * merges by timestamp holding one slice per file and leaves out the copies that overlapping
 * snapshots of one ring hold (a periodic snapshot, then the shutdown one). Damage found in a
 * file, and read errors, are reported once the file is finished; its intact records are still
 * merged.
 *
 * Records travel in batches: one async step per record per pipeline stage cost more than
 * decoding them (bench/viewer.ts), so every stage works on arrays, from the reader's chunks on.
 */
import { mergeSnapshots, type SnapshotMerge } from 'ttlog';
import { describeError, type ReportProblem, reportDamage, type SnapshotSource, type ViewRecord } from './sources.ts';

/** Records per batch handed down the pipeline, and per slice read from a file. */
export const BATCH_RECORDS = 256;

/** The merge of the open `sources`; what it could not read goes to `report`. */
export function mergeSources(sources: readonly SnapshotSource[], report: ReportProblem): SnapshotMerge<SnapshotSource> {
  return mergeSnapshots(sources, {
    onSourceEnd: (source, error) => {
      if (error !== undefined) report(`${source.path}: ${describeError(error)}`);
      reportDamage(source, report);
    },
  });
}

/**
 * The merged timeline in batches of {@link BATCH_RECORDS}.
 *
 * `wholeChunks`: read a single file a whole chunk at a time. A chunk read in slices is first
 * walked whole, so that it is shown whole or not at all (the library's reader); reading it whole
 * skips that walk, but keeps the chunk's records alive while its lines are built, and every
 * garbage collection meanwhile copies them. For text lines the walk costs more; for JSON lines,
 * which leave far more garbage, the copies do (bench/viewer.ts, alternated `ttlog-view` runs).
 */
export function mergedBatches(merge: SnapshotMerge<SnapshotSource>, wholeChunks = false): AsyncGenerator<ViewRecord[]> {
  return merge.batches(wholeChunks ? {} : { maxRecords: BATCH_RECORDS });
}

/**
 * The last `count` records of the merged timeline, reading from each file only the chunks that
 * hold its own last `count`. For `--last N` without filters: a filter could reject any of them,
 * and then earlier records would be needed.
 */
export async function* mergedLast(merge: SnapshotMerge<SnapshotSource>, count: number): AsyncGenerator<ViewRecord[]> {
  const tail = await merge.last(count);
  if (tail.length > 0) yield tail;
}
