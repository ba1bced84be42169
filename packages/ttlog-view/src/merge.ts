/**
 * Several snapshots → one timeline: a k-way merge by timestamp over each file's records (each
 * file is already in time order, docs/format.md), holding one chunk per file in memory.
 * Records with equal timestamps keep input order, then file order.
 *
 * Records travel in batches: one async step per record per pipeline stage cost more than
 * decoding them (bench/viewer.ts), so every stage works on arrays, from the reader's chunks on.
 * Several files are read in slices of `BATCH_RECORDS`, which bounds what each holds in memory
 * while the others catch up; one file is read so too, or a whole chunk at a time (below).
 */
import type { SnapshotRecord } from 'ttlog';
import { describeError, type ReportProblem, reportDamage, type SnapshotSource, type ViewRecord } from './sources.ts';

interface Cursor {
  readonly source: SnapshotSource;
  readonly chunks: AsyncGenerator<SnapshotRecord[]>;
  /** The chunk being merged and the position of `head` in it. */
  chunk: SnapshotRecord[];
  index: number;
  head: ViewRecord;
}

/** Records per batch handed down the pipeline, and per slice read from a file. */
export const BATCH_RECORDS = 256;

/**
 * The records of all `sources` in timestamp order, in batches. Damage found in a file, and read errors, go
 * to `report` once the file is finished; its intact records are still merged.
 *
 * `wholeChunks`: read a single file a whole chunk at a time. A chunk read in slices is first
 * walked whole, so that it is shown whole or not at all (reader.ts); reading it whole skips that
 * walk, but keeps the chunk's records alive while its lines are built, and every garbage
 * collection meanwhile copies them. For text lines the walk cost more: 1.14 s against 1.26 s per
 * million records, median of eight alternated `ttlog-view` runs. For JSON lines, which leave far
 * more garbage, the copies did: 3.0 s against 2.4 s.
 */
export async function* mergeSources(sources: readonly SnapshotSource[], report: ReportProblem, wholeChunks = false): AsyncGenerator<ViewRecord[]> {
  if (sources.length === 1) {
    // One file needs no heap; this is the common case and the benchmark's (bench/viewer.ts).
    const source = sources[0]!;
    const chunks = source.reader.chunks(wholeChunks ? {} : { maxRecords: BATCH_RECORDS });
    try {
      for await (const chunk of chunks) {
        const batch = new Array<ViewRecord>(chunk.length);
        for (let i = 0; i < chunk.length; i++) batch[i] = { record: chunk[i]!, source };
        yield batch;
      }
    } catch (error) {
      report(`${source.path}: ${describeError(error)}`);
    } finally {
      await chunks.return(undefined);
      reportDamage(source, report);
    }
    return;
  }
  const heap: Cursor[] = [];
  try {
    for (const source of sources) {
      const chunks = source.reader.chunks({ maxRecords: BATCH_RECORDS });
      const chunk = await nextChunk(source, chunks, report);
      if (chunk !== undefined) push(heap, { source, chunks, chunk, index: 0, head: { record: chunk[0]!, source } });
    }
    let batch: ViewRecord[] = [];
    while (heap.length > 0) {
      const top = heap[0]!;
      batch.push(top.head);
      if (batch.length === BATCH_RECORDS) {
        yield batch;
        batch = [];
      }
      // Within a chunk the next record is at hand; only a new chunk costs an await.
      if (++top.index >= top.chunk.length) {
        const chunk = await nextChunk(top.source, top.chunks, report);
        if (chunk === undefined) {
          const last = heap.pop()!;
          if (heap.length > 0) {
            heap[0] = last;
            siftDown(heap, 0);
          }
          continue;
        }
        top.chunk = chunk;
        top.index = 0;
      }
      top.head = { record: top.chunk[top.index]!, source: top.source };
      siftDown(heap, 0);
    }
    if (batch.length > 0) yield batch;
  } finally {
    // Stopped early (a closed pipe): close the files still open.
    for (const cursor of heap) await cursor.chunks.return(undefined);
  }
}

/**
 * The last `count` records of the merged timeline, reading from each file only the chunks that
 * hold its own last `count` (every record of the merged tail is among them). For `--last N`
 * without filters: a filter could reject any of them, and then earlier records would be needed.
 */
export async function* mergeLast(sources: readonly SnapshotSource[], count: number, report: ReportProblem): AsyncGenerator<ViewRecord[]> {
  const all: ViewRecord[] = [];
  for (const source of sources) {
    try {
      for (const record of await source.reader.last(count)) all.push({ record, source });
    } catch (error) {
      report(`${source.path}: ${describeError(error)}`);
    }
    reportDamage(source, report);
  }
  // Each file is in time order, so a stable sort by time, then input order, is the merge's order.
  all.sort((a, b) => (a.record.timestamp < b.record.timestamp ? -1 : a.record.timestamp > b.record.timestamp ? 1 : a.source.index - b.source.index));
  const tail = all.slice(Math.max(0, all.length - count));
  if (tail.length > 0) yield tail;
}

/** The next non-empty chunk of a file; undefined (and its damage reported) once it is done or fails. */
async function nextChunk(source: SnapshotSource, chunks: AsyncGenerator<SnapshotRecord[]>, report: ReportProblem): Promise<SnapshotRecord[] | undefined> {
  try {
    for (;;) {
      const next = await chunks.next();
      if (next.done) break;
      if (next.value.length > 0) return next.value;
    }
  } catch (error) {
    report(`${source.path}: ${describeError(error)}`);
  }
  reportDamage(source, report);
  return undefined;
}

function before(a: Cursor, b: Cursor): boolean {
  const at = a.head.record.timestamp;
  const bt = b.head.record.timestamp;
  return at < bt || (at === bt && a.source.index < b.source.index);
}

function push(heap: Cursor[], cursor: Cursor): void {
  heap.push(cursor);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i]!, heap[parent]!)) break;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

function siftDown(heap: Cursor[], start: number): void {
  let i = start;
  for (;;) {
    const left = 2 * i + 1;
    const right = left + 1;
    let smallest = i;
    if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
    if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
    if (smallest === i) return;
    [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
    i = smallest;
  }
}
