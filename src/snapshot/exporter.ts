import { diag } from '@opentelemetry/api';
import { hostname, tmpdir } from 'node:os';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { defaultFileSystem, writeFileAtomically, writeFileAtomicallySync, type SnapshotFileSystem } from './atomic-file.ts';
import { snapshotFileName } from './file-name.ts';
import { captureRing } from './ring-capture.ts';
import { createRingBuffer, openRingBuffer, type RingViews } from '../record/ring-layout.ts';
import { RingProducer } from '../record/ring-producer.ts';
import { DEFAULT_INTERNED_VALUE_LENGTH, checkedRecordBytes, ringSizes } from '../record/ring-options.ts';
import { SnapshotEncoder } from './snapshot-encoder.ts';
import type { ExportResultLike, LogRecordLike, ResourceLike } from '../otel-types.ts';
import type { RetentionOptions, SnapshotExporterOptions } from '../types.ts';
import { applyRetention, applyRetentionSync, checkedRetention } from './retention.ts';
import { VERSION } from '../version.ts';

/** What a snapshot is of and why; the exporter adds where and who. */
export interface SnapshotRequest {
  readonly ring: RingViews;
  readonly reason: string;
  readonly resource?: ResourceLike | undefined;
  readonly cause?: Readonly<Record<string, unknown>> | undefined;
}

/** Takes the snapshot of the processor an exporter serves (set by `TTLogProcessor`). */
export type SnapshotSource = (reason: string) => Promise<string>;

const sources = new WeakMap<SnapshotExporter, SnapshotSource>();

/** Lets `exporter.forceFlush()` reach the ring of the processor it was given to. */
export function bindSnapshotSource(exporter: SnapshotExporter, source: SnapshotSource): void {
  sources.set(exporter, source);
}

/** File sequence numbers are process-wide so that two exporters never pick the same name. */
let nextFileSeq = 0;

const DEFAULT_EXPORT_RECORD_BYTES = 16 * 1024;

/**
 * A `LogRecordExporter` that writes snapshot files (docs/format.md) instead of sending records
 * over the network. Given to a `TTLogProcessor`, it writes that processor's ring; behind any
 * other processor (OpenTelemetry's `BatchLogRecordProcessor`, say), `export()` writes each batch
 * it is given as one snapshot.
 */
export class SnapshotExporter {
  /** Where this exporter writes. */
  readonly directory: string;
  /** The service name from the options or `TTLOG_SERVICE_NAME`; `undefined`: the resource's `service.name`. */
  readonly serviceName: string | undefined;
  /** Which old snapshots are removed after each write (docs/crash-capture.md, "Retention"). */
  readonly retention: RetentionOptions | undefined;
  private readonly fileSystem: SnapshotFileSystem;
  private readonly exportRecordBytes: number;
  private isShutdown = false;

  constructor(options: SnapshotExporterOptions = {}) {
    this.directory = options.directory ?? nonEmpty(process.env.TTLOG_SNAPSHOT_DIR) ?? tmpdir();
    this.serviceName = options.serviceName ?? nonEmpty(process.env.TTLOG_SERVICE_NAME);
    this.retention = checkedRetention(options.retention);
    this.fileSystem = options.fileSystem ?? defaultFileSystem;
    this.exportRecordBytes = checkedRecordBytes(options.maxRecordBytes ?? DEFAULT_EXPORT_RECORD_BYTES);
  }

  /** `LogRecordExporter.export`: writes the given records as one snapshot (reason `export`). */
  export(records: readonly LogRecordLike[], resultCallback: (result: ExportResultLike) => void): void {
    if (this.isShutdown) {
      resultCallback({ code: 1, error: new Error('ttlog: SnapshotExporter is shut down') });
      return;
    }
    this.writeRecords(records).then(
      () => resultCallback({ code: 0 }),
      (error: unknown) => resultCallback({ code: 1, error: asError(error) }),
    );
  }

  /** Snapshots the ring of the `TTLogProcessor` this exporter belongs to (reason `flush`). */
  async forceFlush(): Promise<void> {
    await sources.get(this)?.('flush');
  }

  async shutdown(): Promise<void> {
    this.isShutdown = true;
  }

  /** Writes a snapshot of `request.ring`; resolves to the file's path. Failures are also reported to `diag`. */
  async writeSnapshot(request: SnapshotRequest): Promise<string> {
    try {
      const encoder = new SnapshotEncoder(request.ring, captureRing(request.ring));
      await request.resource?.waitForAsyncAttributes?.();
      const blocks: Buffer[] = [];
      for (const block of encoder.chunkBlocks()) {
        blocks.push(block);
        await yieldToEventLoop();
      }
      const prefix = encoder.filePrefix(this.describe(request));
      const path = await writeFileAtomically(this.fileSystem, this.directory, () => this.nextName(request), [prefix, ...blocks, encoder.endBlock()]);
      if (this.retention !== undefined) await applyRetention(this.directory, this.serviceFor(request), this.retention).catch((error: unknown) => this.reportRetentionFailure(error));
      return path;
    } catch (error) {
      throw this.reportFailure(error);
    }
  }

  /** {@link writeSnapshot} without giving up the thread: for when the event loop may not turn again. */
  writeSnapshotSync(request: SnapshotRequest): string {
    try {
      const encoder = new SnapshotEncoder(request.ring, captureRing(request.ring));
      const blocks = [...encoder.chunkBlocks()];
      const prefix = encoder.filePrefix(this.describe(request));
      const path = writeFileAtomicallySync(this.fileSystem, this.directory, () => this.nextName(request), [prefix, ...blocks, encoder.endBlock()]);
      if (this.retention !== undefined) {
        try {
          applyRetentionSync(this.directory, this.serviceFor(request), this.retention);
        } catch (error) {
          this.reportRetentionFailure(error);
        }
      }
      return path;
    } catch (error) {
      throw this.reportFailure(error);
    }
  }

  private async writeRecords(records: readonly LogRecordLike[]): Promise<string> {
    // One lane: a batch must arrive whole, and a reserve lane would hold only part of its warnings.
    const sizes = ringSizes({ capacity: Math.max(2, records.length), maxRecordBytes: this.exportRecordBytes, severityLane: false });
    const ring = openRingBuffer(createRingBuffer(sizes));
    const producer = new RingProducer(ring, { maxInternedValueLength: DEFAULT_INTERNED_VALUE_LENGTH });
    for (const record of records) producer.write(record);
    return this.writeSnapshot({ ring, reason: 'export', resource: records[0]?.resource });
  }

  private describe(request: SnapshotRequest) {
    return {
      service: this.serviceFor(request),
      hostname: hostname(),
      pid: process.pid,
      reason: request.reason,
      createdAt: new Date(),
      resource: request.resource?.attributes ?? {},
      producer: { name: 'ttlog', version: VERSION },
      cause: request.cause,
    };
  }

  private nextName(request: SnapshotRequest): string {
    return snapshotFileName(this.serviceFor(request), process.pid, new Date(), nextFileSeq++, request.reason);
  }

  private serviceFor(request: SnapshotRequest): string {
    return this.serviceName ?? stringAttribute(request.resource?.attributes ?? {}, 'service.name') ?? 'unknown_service';
  }

  /** The snapshot itself is written: a failed cleanup is reported, never the caller's error. */
  private reportRetentionFailure(error: unknown): void {
    diag.warn(`ttlog: removing old snapshots in ${this.directory} failed: ${asError(error).message}`);
  }

  private reportFailure(error: unknown): Error {
    const failure = asError(error);
    diag.error(`ttlog: snapshot to ${this.directory} failed: ${failure.message}`);
    return failure;
  }
}

function stringAttribute(attributes: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = attributes[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
