/**
 * Several snapshots → one timeline with each record once. Snapshots do not drain the ring, so
 * two snapshots of one ring (a periodic one, then the shutdown one) hold many of the same
 * records; a record is identified by its ring (the header's `ring`), lane and `seq`
 * (docs/format.md), and its copies after the first are left out and counted. Files of different
 * rings are never merged into each other, and files without a ring identity (written before
 * rings had one) never at all: there is nothing to trust.
 *
 * The merge is a k-way merge by timestamp over files that are each in time order, holding one
 * slice per file in memory. A copy of a record has the record's own timestamp, so only the
 * identities met at the current timestamp are remembered: memory stays bounded by the records
 * sharing one timestamp, however many files are merged.
 */
import type { SnapshotDamage, SnapshotMetadata, SnapshotRecord } from '../types.ts';
import { openSnapshot, type ReadOptions, type SnapshotReader } from './reader.ts';

/** What {@link mergeSnapshots} needs of each input: an open snapshot. The caller's own objects may carry more. */
export interface MergeSource {
  readonly reader: SnapshotReader;
}

/** A record of the merged timeline and the input it was read from. */
export interface MergedRecord<S> {
  readonly record: SnapshotRecord;
  readonly source: S;
}

/** How {@link mergeSnapshots} treats an input whose reading fails. */
export interface MergeOptions<S> {
  /**
   * Called once per input when its records are done, with the error that ended its reading early
   * (undefined when it was read to its end): the other inputs are merged on. Without it, such an
   * error ends the merge and reaches the caller.
   */
  readonly onSourceEnd?: (source: S, error: unknown) => void;
}

/** How {@link SnapshotMerge.batches} sizes its batches. */
export interface MergeBatchOptions {
  /**
   * At most this many records per batch, and per slice read from each file while the others
   * catch up. Default: 256; a single input is read a whole chunk per batch unless this is given.
   */
  readonly maxRecords?: number;
}

/** A merge of open snapshots, from {@link mergeSnapshots}. */
export interface SnapshotMerge<S> {
  /** The merged timeline in time order, in batches; records with equal timestamps in input order. Closes the inputs. */
  batches(options?: MergeBatchOptions): AsyncGenerator<MergedRecord<S>[]>;
  /** The last `count` records of the merged timeline, decoding only the chunks at each file's end. Closes the inputs. */
  last(count: number): Promise<MergedRecord<S>[]>;
  /** Copies left out so far: records already taken from an earlier snapshot of the same ring. */
  readonly duplicates: number;
  /** The copies left out of one input. */
  duplicatesFrom(source: S): number;
}

/**
 * Merges open snapshots (from `openSnapshot`) into one timeline in which each record of a ring
 * appears once, however many of the snapshots hold it. Reading is streamed: one slice per file
 * is in memory at a time.
 */
export function mergeSnapshots<S extends MergeSource>(sources: readonly S[], options: MergeOptions<S> = {}): SnapshotMerge<S> {
  return new Merge(sources, options);
}

/** One input of {@link readSnapshots}: its header and, once read, what was skipped. */
export interface MergedFile {
  /** Position among the inputs given. */
  readonly index: number;
  readonly metadata: SnapshotMetadata;
  readonly damage: readonly SnapshotDamage[];
}

/** Several snapshots read whole and merged, from {@link readSnapshots}. */
export interface MergedSnapshots {
  /** The inputs, in the order given. */
  readonly files: readonly MergedFile[];
  /** Every record once, in time order, with the file it was taken from. */
  readonly records: MergedRecord<MergedFile>[];
  /** Copies left out: records that an earlier snapshot of the same ring already held. */
  readonly duplicates: number;
}

/**
 * Reads several snapshot files (or byte arrays) whole and merges them into one timeline with each
 * record once. For sets too large to hold in memory, open each with `openSnapshot` and stream
 * them through {@link mergeSnapshots}. Throws as `openSnapshot` and `readSnapshot` do.
 */
export async function readSnapshots(inputs: readonly (string | Uint8Array)[], options: ReadOptions = {}): Promise<MergedSnapshots> {
  const sources: (MergedFile & MergeSource)[] = [];
  try {
    for (const input of inputs) {
      const reader = await openSnapshot(input, options);
      sources.push({ index: sources.length, metadata: reader.metadata, damage: reader.damage, reader });
    }
    const merge = mergeSnapshots(sources);
    const records: MergedRecord<MergedFile>[] = [];
    for await (const batch of merge.batches()) for (const item of batch) records.push(item);
    const files = sources.map(({ index, metadata, damage }) => ({ index, metadata, damage }));
    // Records point at the plain file objects, not at the (closed) readers.
    return { files, records: records.map(({ record, source }) => ({ record, source: files[source.index]! })), duplicates: merge.duplicates };
  } finally {
    await Promise.all(sources.map((source) => source.reader.close()));
  }
}

/** Records per batch and per slice when several files are merged. */
const BATCH_RECORDS = 256;

/** No ring to merge with: a file whose ring no other input shares, or that has no ring identity. */
const UNSHARED = -1;

interface Cursor<S> {
  readonly source: S;
  /** Position among the inputs: breaks ties between equal timestamps. */
  readonly index: number;
  /** Which shared ring the file belongs to, or {@link UNSHARED}. */
  readonly ring: number;
  readonly chunks: AsyncGenerator<SnapshotRecord[]>;
  chunk: SnapshotRecord[];
  at: number;
}

class Merge<S extends MergeSource> implements SnapshotMerge<S> {
  private readonly duplicatesBySource = new Map<S, number>();
  private duplicateCount = 0;
  /** Per input, the shared ring it belongs to (an index among the rings two or more inputs share). */
  private readonly rings: number[];

  constructor(
    private readonly sources: readonly S[],
    private readonly options: MergeOptions<S>,
  ) {
    this.rings = sharedRings(sources.map((source) => source.reader.metadata.ring));
  }

  get duplicates(): number {
    return this.duplicateCount;
  }

  duplicatesFrom(source: S): number {
    return this.duplicatesBySource.get(source) ?? 0;
  }

  async *batches(batchOptions: MergeBatchOptions = {}): AsyncGenerator<MergedRecord<S>[]> {
    if (this.sources.length === 1) {
      // One file holds each record once and needs no heap.
      yield* this.single(this.sources[0]!, batchOptions.maxRecords);
      return;
    }
    const maxRecords = batchOptions.maxRecords ?? BATCH_RECORDS;
    if (!(maxRecords >= 1)) throw new RangeError(`maxRecords must be at least 1, got ${maxRecords}`);
    const heap: Cursor<S>[] = [];
    const identities = new RecordIdentities();
    try {
      for (const [index, source] of this.sources.entries()) {
        const chunks = source.reader.chunks({ maxRecords });
        const chunk = await this.nextChunk(source, chunks);
        if (chunk !== undefined) push(heap, { source, index, ring: this.rings[index]!, chunks, chunk, at: 0 });
      }
      let batch: MergedRecord<S>[] = [];
      while (heap.length > 0) {
        const top = heap[0]!;
        const record = top.chunk[top.at]!;
        if (top.ring === UNSHARED || !identities.seenBefore(top.ring, record)) {
          batch.push({ record, source: top.source });
          if (batch.length >= maxRecords) {
            yield batch;
            batch = [];
          }
        } else {
          this.countDuplicate(top.source);
        }
        // Within a chunk the next record is at hand; only a new chunk costs an await.
        if (++top.at >= top.chunk.length) {
          const chunk = await this.nextChunk(top.source, top.chunks);
          if (chunk === undefined) {
            const last = heap.pop()!;
            if (heap.length > 0) {
              heap[0] = last;
              siftDown(heap, 0);
            }
            continue;
          }
          top.chunk = chunk;
          top.at = 0;
        }
        siftDown(heap, 0);
      }
      if (batch.length > 0) yield batch;
    } finally {
      // Stopped early (the consumer returned, or an input failed without onSourceEnd): close the files still open.
      for (const cursor of heap) await cursor.chunks.return(undefined);
    }
  }

  async last(count: number): Promise<MergedRecord<S>[]> {
    const all: { record: SnapshotRecord; index: number }[] = [];
    for (const [index, source] of this.sources.entries()) {
      let error: unknown;
      try {
        for (const record of await source.reader.last(count)) all.push({ record, index });
      } catch (caught) {
        error = caught;
      }
      this.sourceEnded(source, error);
    }
    // Each file's last `count` records hold every record of the merged tail: the records after
    // one in its own file are later in the timeline and distinct, so there are fewer than `count`.
    // Each file is in time order, so a stable sort by time, then input order, is the merge's order.
    all.sort((a, b) => (a.record.timestamp < b.record.timestamp ? -1 : a.record.timestamp > b.record.timestamp ? 1 : a.index - b.index));
    const identities = new RecordIdentities();
    const merged: MergedRecord<S>[] = [];
    for (const { record, index } of all) {
      const source = this.sources[index]!;
      const ring = this.rings[index]!;
      if (ring === UNSHARED || !identities.seenBefore(ring, record)) merged.push({ record, source });
      else this.countDuplicate(source);
    }
    return merged.slice(Math.max(0, merged.length - Math.max(0, Math.floor(count))));
  }

  private async *single(source: S, maxRecords: number | undefined): AsyncGenerator<MergedRecord<S>[]> {
    const chunks = source.reader.chunks(maxRecords === undefined ? {} : { maxRecords });
    let error: unknown;
    try {
      for await (const chunk of chunks) {
        const batch = new Array<MergedRecord<S>>(chunk.length);
        for (let i = 0; i < chunk.length; i++) batch[i] = { record: chunk[i]!, source };
        yield batch;
      }
    } catch (caught) {
      error = caught;
    } finally {
      await chunks.return(undefined);
    }
    this.sourceEnded(source, error);
  }

  /** The next non-empty slice of a file; undefined once it is done or failed (and then its end is reported). */
  private async nextChunk(source: S, chunks: AsyncGenerator<SnapshotRecord[]>): Promise<SnapshotRecord[] | undefined> {
    let error: unknown;
    try {
      for (;;) {
        const next = await chunks.next();
        if (next.done) break;
        if (next.value.length > 0) return next.value;
      }
    } catch (caught) {
      error = caught;
    }
    this.sourceEnded(source, error);
    return undefined;
  }

  private sourceEnded(source: S, error: unknown): void {
    if (this.options.onSourceEnd !== undefined) this.options.onSourceEnd(source, error);
    else if (error !== undefined) throw error;
  }

  private countDuplicate(source: S): void {
    this.duplicateCount++;
    this.duplicatesBySource.set(source, (this.duplicatesBySource.get(source) ?? 0) + 1);
  }
}

/** Per input, the index of its ring among the rings that two or more inputs share, else {@link UNSHARED}. */
function sharedRings(rings: readonly (string | undefined)[]): number[] {
  const inputs = new Map<string, number>();
  for (const ring of rings) if (ring !== undefined) inputs.set(ring, (inputs.get(ring) ?? 0) + 1);
  const shared = new Map<string, number>();
  for (const [ring, count] of inputs) if (count > 1) shared.set(ring, shared.size);
  return rings.map((ring) => (ring === undefined ? UNSHARED : (shared.get(ring) ?? UNSHARED)));
}

/**
 * The (ring, lane, seq) identities met at the current timestamp. Records arrive in time order
 * and a copy carries its original's timestamp, so identities of earlier times are forgotten.
 */
class RecordIdentities {
  private time: bigint | undefined;
  private readonly seen = new Set<string>();

  /** True when this record of `ring` was met before: a copy. */
  seenBefore(ring: number, record: SnapshotRecord): boolean {
    if (record.timestamp !== this.time) {
      this.time = record.timestamp;
      this.seen.clear();
    }
    const key = `${ring}:${record.lane ?? 0}:${record.seq}`;
    if (this.seen.has(key)) return true;
    this.seen.add(key);
    return false;
  }
}

function before<S>(a: Cursor<S>, b: Cursor<S>): boolean {
  const at = a.chunk[a.at]!.timestamp;
  const bt = b.chunk[b.at]!.timestamp;
  return at < bt || (at === bt && a.index < b.index);
}

function push<S>(heap: Cursor<S>[], cursor: Cursor<S>): void {
  heap.push(cursor);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i]!, heap[parent]!)) break;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

function siftDown<S>(heap: Cursor<S>[], start: number): void {
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
