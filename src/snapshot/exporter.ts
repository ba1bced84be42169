/**
 * The public face of the snapshot writer: an OpenTelemetry `LogRecordExporter` that writes
 * snapshot files (docs/format.md) instead of sending records over the network. Everything about
 * files (names, atomic writes, retention) is the private `SnapshotWriter`'s; the processor an
 * exporter is given to reaches that writer through {@link bindExporter}, which `index.ts` does not
 * export, so the writer and its types stay out of the package's API.
 */
import { tmpdir } from 'node:os';
import type { ExportResultLike, LogRecordLike } from '../otel-types.ts';
import { checkedRecordBytes } from '../record/ring-options.ts';
import type { RetentionOptions, SnapshotExporterOptions } from '../types.ts';
import { ringOfRecords } from './batch-ring.ts';
import { asError, SnapshotWriter } from './snapshot-writer.ts';

/** Snapshots the ring of the processor an exporter was given to. */
type FlushProcessor = () => Promise<unknown>;

const DEFAULT_EXPORT_RECORD_BYTES = 16 * 1024;

/** Set once by the class's static block: the only code that may touch an exporter's private fields. */
let bind: (exporter: SnapshotExporter, flush: FlushProcessor) => SnapshotWriter;

/**
 * A `LogRecordExporter` that writes snapshot files. Given to a `TTLogProcessor`, it writes that
 * processor's ring; behind any other processor (OpenTelemetry's `BatchLogRecordProcessor`, say),
 * `export()` writes each batch it is given as one snapshot (reason `export`).
 */
export class SnapshotExporter {
  /** Where this exporter writes. */
  readonly directory: string;
  /** The service name from the options or `TTLOG_SERVICE_NAME`; `undefined`: the resource's `service.name`. */
  readonly serviceName: string | undefined;
  /** Which old snapshots are removed after each write (docs/crash-capture.md, "Retention"). */
  readonly retention: RetentionOptions | undefined;
  /** Longest time an asynchronous snapshot may take before its promise rejects (`ETIMEDOUT`). */
  readonly timeoutMillis: number;
  readonly #writer: SnapshotWriter;
  readonly #exportRecordBytes: number;
  #flushProcessor: FlushProcessor | undefined;
  #isShutdown = false;

  static {
    bind = (exporter, flush) => {
      if (!(#writer in exporter)) throw new TypeError('ttlog: the exporter option must be a SnapshotExporter');
      exporter.#flushProcessor = flush;
      return exporter.#writer;
    };
  }

  constructor(options: SnapshotExporterOptions = {}) {
    this.#writer = new SnapshotWriter({
      directory: options.directory ?? nonEmpty(process.env.TTLOG_SNAPSHOT_DIR) ?? tmpdir(),
      serviceName: options.serviceName ?? nonEmpty(process.env.TTLOG_SERVICE_NAME),
      retention: options.retention,
      timeoutMillis: options.timeoutMillis,
      fileSystem: options.fileSystem,
    });
    ({ directory: this.directory, serviceName: this.serviceName, retention: this.retention, timeoutMillis: this.timeoutMillis } = this.#writer.settings);
    this.#exportRecordBytes = checkedRecordBytes(options.maxRecordBytes ?? DEFAULT_EXPORT_RECORD_BYTES);
  }

  /** `LogRecordExporter.export`: writes the given records as one snapshot (reason `export`). */
  export(records: readonly LogRecordLike[], resultCallback: (result: ExportResultLike) => void): void {
    if (this.#isShutdown) {
      resultCallback({ code: 1, error: new Error('ttlog: SnapshotExporter is shut down') });
      return;
    }
    this.#writeBatch(records).then(
      () => resultCallback({ code: 0 }),
      (error: unknown) => resultCallback({ code: 1, error: asError(error) }),
    );
  }

  /** Snapshots the ring of the `TTLogProcessor` this exporter was given to (reason `flush`); without one, does nothing. */
  async forceFlush(): Promise<void> {
    await this.#flushProcessor?.();
  }

  /** `export()` refuses batches from now on. Safe to call more than once. */
  async shutdown(): Promise<void> {
    this.#isShutdown = true;
  }

  async #writeBatch(records: readonly LogRecordLike[]): Promise<string> {
    return this.#writer.write({ ring: ringOfRecords(records, this.#exportRecordBytes), reason: 'export', resource: records[0]?.resource });
  }
}

/**
 * Package-internal (not exported from index.ts): connects `exporter` to the `TTLogProcessor` it
 * was given to. Its `forceFlush()` then calls `flush`, and the processor and its triggers write
 * through the returned writer. Throws a `TypeError` for anything but a `SnapshotExporter`.
 */
export function bindExporter(exporter: SnapshotExporter, flush: FlushProcessor): SnapshotWriter {
  return bind(exporter, flush);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
