/**
 * One call of a `LogRecordExporter`'s callback-style `export()`, as a promise that settles within
 * a time limit and never rejects: an exporter that throws, reports failure or never answers is a
 * failed export, told to the caller as an `Error`.
 */
import type { LogRecordExporterLike, ReadableLogRecordLike } from '../otel-types.ts';

/** Resolves to `undefined` when the exporter reported success, else to why it did not. */
function exportWithin(exporter: LogRecordExporterLike, records: ReadableLogRecordLike[], timeoutMillis: number): Promise<Error | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (error: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(error);
    };
    // Not unref'd: someone awaits this export, and an exporter that stopped answering may hold
    // nothing else that keeps the process up for the answer.
    const timer = setTimeout(
      () => settle(Object.assign(new Error(`the export did not finish within ${timeoutMillis} ms (handoff.timeoutMillis)`), { code: 'ETIMEDOUT' })),
      timeoutMillis,
    );
    try {
      exporter.export(records, (result) => settle(result?.code === 0 ? undefined : asError(result?.error ?? 'the exporter reported failure')));
    } catch (error) {
      settle(asError(error));
    }
  });
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Exports of one hand-off exporter, one in flight at a time, in the order asked: live hand-offs
 * and the recovery of crash files take turns batch by batch, so neither waits for all of the other.
 */
export class ExportQueue {
  private last: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly exporter: LogRecordExporterLike,
    private readonly timeoutMillis: number,
  ) {}

  /** Exports `records` once the exports asked for before are done; resolves as {@link exportWithin}. */
  send(records: ReadableLogRecordLike[]): Promise<Error | undefined> {
    const sent = this.last.then(() => exportWithin(this.exporter, records, this.timeoutMillis));
    this.last = sent;
    return sent;
  }

  /** Resolves once the exports asked for so far are done. */
  idle(): Promise<unknown> {
    return this.last;
  }
}
