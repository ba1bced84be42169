/**
 * The public face of the snapshot writer: an OpenTelemetry `LogRecordExporter` that writes
 * snapshot files (docs/format.md) instead of sending records over the network. Everything about
 * files (names, atomic writes, retention) is the private `SnapshotWriter`'s; the processor an
 * exporter is given to reaches that writer through {@link bindExporter}, which `index.ts` does not
 * export, so the writer and its types stay out of the package's API.
 */
import { tmpdir } from 'node:os';
import { EXPORTER_VARIABLES, type ExporterEnvironment, optionsFromEnvironment } from '../config/environment.ts';
import { checkedOptions } from '../config/option-check.ts';
import { EXPORTER_OPTIONS } from '../config/option-schemas.ts';
import type { ExportResultLike, LogRecordLike } from '../otel-types.ts';
import { checkedRecordBytes } from '../record/ring-options.ts';
import type { RetentionOptions, SnapshotCodec, SnapshotExporterOptions } from '../types.ts';
import { ringOfRecords } from './batch-ring.ts';
import { checkedRetention } from './retention.ts';
import { asError, SnapshotWriter } from './snapshot-writer.ts';

/** Snapshots the ring of the processor an exporter was given to. */
type FlushProcessor = () => Promise<unknown>;

const DEFAULT_EXPORT_RECORD_BYTES = 16 * 1024;

/**
 * Retention when none is configured, held to each group (crash snapshots apart from the rest).
 * The directory defaults to the OS temp directory, often RAM-backed and shared, and frameworks may
 * flush once per request, so keeping everything is no default. The byte limit is sized by what a
 * full default ring compresses to (docs/crash-capture.md, "Retention"). No age limit: a crash
 * snapshot waits however long it takes someone to read it.
 */
const DEFAULT_RETENTION = { maxFiles: 100, maxBytes: 64 * 1024 * 1024 } as const;

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
  /** Which old snapshots are removed after each write (docs/crash-capture.md, "Retention"); `undefined`: none. */
  readonly retention: RetentionOptions | undefined;
  /** Longest time an asynchronous snapshot may take before its promise rejects (`ETIMEDOUT`). */
  readonly timeoutMillis: number;
  /** How this exporter compresses the chunks of its files: the `codec` option, or `deflate` where `zstd` was asked for and this Node lacks it. */
  readonly codec: SnapshotCodec;
  readonly #writer: SnapshotWriter;
  readonly #exportRecordBytes: number;
  #flushProcessor: FlushProcessor | undefined;
  #isShutdown = false;

  static {
    bind = (exporter, flush) => {
      if (typeof exporter !== 'object' || exporter === null || !(#writer in exporter)) {
        throw new TypeError(
          `ttlog: the exporter option must be a SnapshotExporter, got ${describeExporter(exporter)} (another exporter needs a processor of its own)`,
        );
      }
      exporter.#flushProcessor = flush;
      return exporter.#writer;
    };
  }

  constructor(options: SnapshotExporterOptions = {}) {
    const given = checkedOptions<SnapshotExporterOptions>(options, EXPORTER_OPTIONS, 'new SnapshotExporter(options)');
    const environment = optionsFromEnvironment(EXPORTER_VARIABLES, (fromEnvironment) => checkedRetention(finiteLimits(fromEnvironment)));
    this.#writer = new SnapshotWriter({
      directory: given.directory ?? environment.directory ?? tmpdir(),
      serviceName: given.serviceName ?? environment.serviceName,
      retention: retentionFor(given.retention, environment),
      timeoutMillis: given.timeoutMillis,
      fileSystem: given.fileSystem,
      codec: given.codec ?? environment.codec,
    });
    ({
      directory: this.directory,
      serviceName: this.serviceName,
      retention: this.retention,
      timeoutMillis: this.timeoutMillis,
      codec: this.codec,
    } = this.#writer.settings);
    this.#exportRecordBytes = checkedRecordBytes(given.maxRecordBytes ?? DEFAULT_EXPORT_RECORD_BYTES);
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

/**
 * The limits in force: each one given, else its environment variable, else its default;
 * `retention: false` keeps everything. `undefined` when no limit is left (each lifted with `Infinity`).
 */
function retentionFor(given: RetentionOptions | false | undefined, environment: ExporterEnvironment): RetentionOptions | undefined {
  if (given === false) return undefined;
  const retention = finiteLimits({
    maxFiles: given?.maxFiles ?? environment.maxFiles ?? DEFAULT_RETENTION.maxFiles,
    maxBytes: given?.maxBytes ?? environment.maxBytes ?? DEFAULT_RETENTION.maxBytes,
    maxAgeMs: given?.maxAgeMs ?? environment.maxAgeMs,
  });
  if (Object.keys(retention).length === 0) return undefined;
  return given?.protectCrashSnapshots === undefined ? retention : { ...retention, protectCrashSnapshots: given.protectCrashSnapshots };
}

/** The limits that are set and not lifted (`Infinity`); anything else is left for checkedRetention to refuse. */
function finiteLimits({ maxFiles, maxBytes, maxAgeMs }: { [K in 'maxFiles' | 'maxBytes' | 'maxAgeMs']?: number | undefined }): RetentionOptions {
  const limits = Object.entries({ maxFiles, maxBytes, maxAgeMs }).filter(([, value]) => value !== undefined && value !== Number.POSITIVE_INFINITY);
  return Object.fromEntries(limits) as RetentionOptions;
}

function describeExporter(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value !== 'object' || value === null) return String(value);
  const name: unknown = value.constructor?.name;
  return typeof name === 'string' && name !== 'Object' ? name : 'a plain object';
}
