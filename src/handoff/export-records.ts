/**
 * Records read back from a snapshot, in batches → one export each, the next once it is done. The first failed export ends the run: when the collector is down, every
 * further batch would wait for its own timeout. What was not exported is counted, never dropped
 * silently.
 */
import type { ReadableLogRecordLike } from '../otel-types.ts';
import type { SnapshotRecord } from '../types.ts';
import type { ReadableRecords } from './readable-records.ts';

/** The outcome of one run. */
export interface ExportOutcome {
  exported: number;
  /** Records the run did not export: the failed batch's and those not read yet. */
  failed: number;
  /** Why the run ended early; absent when every batch went out. */
  error?: Error;
}

/** How one run exports: the send, the record builder, and what to leave out and tell along the way. */
export interface ExportRun {
  /** One export: resolves to `undefined` on success, else to why not (export-call.ts). */
  readonly send: (records: ReadableLogRecordLike[]) => Promise<Error | undefined>;
  /** Turns each read-back record into the `ReadableLogRecord` the exporter takes. */
  readonly builder: ReadableRecords;
  /** Records to leave out (already handed off). */
  readonly skip?: (record: SnapshotRecord) => boolean;
  /** Told after each exported batch (left-out records included), with the records of the source read so far. */
  readonly exported?: (batch: readonly SnapshotRecord[], recordsRead: number) => Promise<void> | void;
  /** Records the source holds, to count those not read yet as failed when the run ends early (their skips unknown, so an upper bound). */
  readonly total: number;
}

/** Exports the records `batches` yields (arrays of at most `maxExportBatchSize`). */
export async function exportRecords(batches: AsyncIterable<SnapshotRecord[]>, run: ExportRun): Promise<ExportOutcome> {
  const outcome: ExportOutcome = { exported: 0, failed: 0 };
  let read = 0;
  for await (const batch of batches) {
    const records = [];
    for (const record of batch) if (run.skip === undefined || !run.skip(record)) records.push(run.builder.rebuild(record));
    if (records.length > 0) {
      const error = await run.send(records);
      if (error !== undefined) {
        outcome.failed = records.length + Math.max(0, run.total - read - batch.length);
        outcome.error = error;
        return outcome;
      }
      outcome.exported += records.length;
    }
    read += batch.length;
    await run.exported?.(batch, read);
  }
  return outcome;
}
