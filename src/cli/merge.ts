/**
 * Several snapshots → one timeline: a k-way merge by timestamp over each file's records (each
 * file is already in time order, docs/format.md), holding one chunk per file in memory.
 * Records with equal timestamps keep input order, then file order.
 *
 * Records travel in batches: one async step per record per pipeline stage cost more than
 * decoding them (bench/viewer.ts), so every stage after the reader works on arrays.
 */
import type { SnapshotRecord } from '../types.ts';
import { describeError, type ReportProblem, type SnapshotSource, type ViewRecord } from './sources.ts';

interface Cursor {
  readonly source: SnapshotSource;
  readonly records: AsyncGenerator<SnapshotRecord>;
  head: ViewRecord;
}

/** Records per batch handed down the pipeline. */
export const BATCH_RECORDS = 1024;

/**
 * The records of all `sources` in timestamp order, in batches. Damage found in a file, and read errors, go
 * to `report` once the file is finished; its intact records are still merged.
 */
export async function* mergeSources(sources: readonly SnapshotSource[], report: ReportProblem): AsyncGenerator<ViewRecord[]> {
  if (sources.length === 1) {
    // One file needs no heap; this is the common case and the benchmark's (bench/viewer.ts).
    const source = sources[0]!;
    const records = source.reader.records();
    try {
      let batch: ViewRecord[] = [];
      for await (const record of records) {
        batch.push({ record, source });
        if (batch.length === BATCH_RECORDS) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    } catch (error) {
      report(`${source.path}: ${describeError(error)}`);
    } finally {
      await records.return(undefined);
      reportDamage(source, report);
    }
    return;
  }
  const heap: Cursor[] = [];
  try {
    for (const source of sources) {
      const records = source.reader.records();
      const first = await advance(source, records, report);
      if (first !== undefined) push(heap, { source, records, head: first });
    }
    let batch: ViewRecord[] = [];
    while (heap.length > 0) {
      const top = heap[0]!;
      batch.push(top.head);
      if (batch.length === BATCH_RECORDS) {
        yield batch;
        batch = [];
      }
      const next = await advance(top.source, top.records, report);
      if (next === undefined) {
        const last = heap.pop()!;
        if (heap.length > 0) {
          heap[0] = last;
          siftDown(heap, 0);
        }
      } else {
        top.head = next;
        siftDown(heap, 0);
      }
    }
    if (batch.length > 0) yield batch;
  } finally {
    // Stopped early (--last is done, a closed pipe): close the files still open.
    for (const cursor of heap) await cursor.records.return(undefined);
  }
}

async function advance(source: SnapshotSource, records: AsyncGenerator<SnapshotRecord>, report: ReportProblem): Promise<ViewRecord | undefined> {
  try {
    const next = await records.next();
    if (!next.done) return { record: next.value, source };
  } catch (error) {
    report(`${source.path}: ${describeError(error)}`);
  }
  reportDamage(source, report);
  return undefined;
}

function reportDamage(source: SnapshotSource, report: ReportProblem): void {
  for (const damage of source.reader.damage) {
    const lost = damage.records === undefined ? '' : ` (${damage.records} records lost)`;
    report(`${source.path}: damaged at byte ${damage.offset}: ${damage.message}${lost}; the intact records are shown`);
  }
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
