/**
 * Public option and result types shared by the folders, in one place. The folders import this
 * file, so it imports none of them; the processor's own options, which name the exporter class,
 * are in processor.ts.
 */
import type { AnyValue, LogRecordExporterLike } from './otel-types.ts';

/** The triggers that write a snapshot without being asked (docs/crash-capture.md); part of `TTLogProcessorOptions`. */
export interface SnapshotTriggerOptions {
  /**
   * Write a snapshot when the process crashes or exits (docs/crash-capture.md): `true` for every
   * trigger with its defaults, or an object to choose. Default: off.
   */
  readonly captureCrashes?: boolean | CrashCaptureOptions;
  /** Write a snapshot (reason `periodic`) every this many ms, skipped when nothing was logged since the last one. Default: off. */
  readonly intervalMs?: number;
  /**
   * Write a snapshot (reason `error`) shortly after a record at or above a severity: `true` for
   * ERROR (severityNumber 17) and above with the defaults below, or an object. Default: off.
   */
  readonly snapshotOnSeverity?: boolean | SeverityTriggerOptions;
  /**
   * Watch the event loop from the recorder thread and write a snapshot (reason `stall`) while the main
   * thread is blocked longer than a threshold: `true` for the defaults, or an object. Default: off.
   */
  readonly watchdog?: boolean | WatchdogOptions;
  /**
   * Write one snapshot (reason `heap-pressure`) when the used V8 heap reaches a share of its limit
   * (`heap_size_limit`), once per episode: `true` for the default share, 0.9, or an object.
   * Default: off.
   */
  readonly heapPressure?: boolean | HeapPressureOptions;
}

/** The `persist` option of a processor (README, "persist"). */
export interface PersistOptions {
  /** Where the persisted file and its lock go; recovered snapshots go to the exporter's directory. Default: the exporter's directory. */
  readonly directory?: string;
  /** How often newly committed records are copied to the file. Default 100. */
  readonly intervalMs?: number;
}

/** Which failures write a crash snapshot; every field defaults to on. */
export interface CrashCaptureOptions {
  /** Uncaught exceptions (reason `uncaught-exception`), seen through `uncaughtExceptionMonitor`. Default true. */
  readonly uncaughtException?: boolean;
  /**
   * Unhandled promise rejections (reason `unhandled-rejection`), as the process's
   * `--unhandled-rejections` mode treats them. Default true.
   */
  readonly unhandledRejection?: boolean;
  /**
   * Termination signals: snapshot (reason `signal`), then what the process would have done
   * without ttlog. Default `['SIGTERM', 'SIGINT']`; `false` for none.
   */
  readonly signals?: readonly NodeJS.Signals[] | false;
  /** `process.exit()` and the end of the event loop (reason `exit`, written synchronously). Default true. */
  readonly exit?: boolean;
  /**
   * A signal that writes a snapshot (reason `on-demand`) and nothing else. Default `'SIGUSR2'`
   * (`SIGUSR1` belongs to the inspector); `false` for none.
   */
  readonly onDemandSignal?: NodeJS.Signals | false;
}

/** The severity trigger: a snapshot shortly after an error, at most one per `minIntervalMs`. */
export interface SeverityTriggerOptions {
  /** Records at or above this severityNumber trigger. Default 17 (ERROR). */
  readonly severityNumber?: number;
  /** How long after the first triggering record the snapshot is taken, so what follows it is in the file. Default 500. */
  readonly windowMs?: number;
  /** Least time between two such snapshots; triggers in between join the next one. Default 10000. */
  readonly minIntervalMs?: number;
}

/** When the heap-pressure trigger writes; see {@link SnapshotTriggerOptions.heapPressure}. */
export interface HeapPressureOptions {
  /**
   * The share of `heap_size_limit` the used heap must reach, above 0 and below 1. Default 0.9. The
   * trigger fires again only after usage has fallen below `ratio − 0.1` (a new episode).
   */
  readonly ratio?: number;
}

/** The event-loop stall watchdog. */
export interface WatchdogOptions {
  /** How long the main thread may be blocked before a snapshot is written. Default 5000. */
  readonly thresholdMs?: number;
}

/**
 * Which snapshot files of this exporter's service to keep in its directory, applied after each
 * write. Only files ttlog named for that service are ever removed. A limit left out takes its
 * `TTLOG_RETENTION_*` environment variable, else its default; `Infinity` lifts it.
 */
export interface RetentionOptions {
  /** Most files to keep. Default 100. */
  readonly maxFiles?: number;
  /** Most bytes the files may take together; the newest file always stays. Default 64 MiB. */
  readonly maxBytes?: number;
  /** Files older than this many ms (by their modification time) are removed. */
  readonly maxAgeMs?: number;
  /**
   * Count crash snapshots (reasons uncaught-exception, unhandled-rejection, signal, exit,
   * worker-error, stall) apart from the others, so routine snapshots never push one out; the
   * limits apply to each group. Default true.
   */
  readonly protectCrashSnapshots?: boolean;
}

/** Options of `SnapshotExporter`: where and how its snapshot files are written and kept. */
export interface SnapshotExporterOptions {
  /** Directory for snapshot files. Default: `TTLOG_SNAPSHOT_DIR`, else the OS temp directory. */
  readonly directory?: string;
  /** Service name in file names and headers. Default: `TTLOG_SERVICE_NAME`, else the resource's `service.name`. */
  readonly serviceName?: string;
  /** Slot size for records given to `export()`. Default 16 KiB. */
  readonly maxRecordBytes?: number;
  /** File system to write through (tests use it to simulate a full disk). Default `node:fs`. */
  readonly fileSystem?: SnapshotFileSystem;
  /**
   * Old snapshots to remove after each write. Default: the newest 100 files and at most 64 MiB,
   * crash snapshots counted apart (docs/crash-capture.md, "Retention"); `false` keeps every file.
   */
  readonly retention?: RetentionOptions | false;
  /**
   * Longest time an asynchronous snapshot may take, in ms, as OpenTelemetry exporters'
   * `timeoutMillis`: past it the snapshot's promise rejects with an error whose `code` is
   * `ETIMEDOUT` (a file system that stopped answering, say). Synchronous crash-path writes cannot be
   * timed out; every loop in them is bounded instead (docs/crash-capture.md). Default 10000.
   */
  readonly timeoutMillis?: number;
  /**
   * How each chunk of a snapshot file is compressed (docs/format.md, "Chunk payload"). `lz4`
   * (default) is the fastest; `deflate` (raw DEFLATE, as gzip) and `zstd` make smaller files for
   * more CPU per snapshot. `zstd` needs a Node whose `node:zlib` has it (22.15 or 23.8 on);
   * elsewhere the exporter warns through `diag` and writes `deflate`. Every reader of format 1.2
   * reads all three. Default: `TTLOG_SNAPSHOT_CODEC`, else `lz4`.
   */
  readonly codec?: SnapshotCodec;
}

/** A chunk compression codec of snapshot files: see {@link SnapshotExporterOptions.codec}. */
export type SnapshotCodec = 'lz4' | 'deflate' | 'zstd';

/** The subset of `node:fs` a `SnapshotExporter` writes through; pass a wrapper to simulate failures. */
export interface SnapshotFileSystem {
  /** Creates one directory; the writer walks a missing path itself, one component at a time. */
  mkdirSync(path: string, options: { mode: number }): unknown;
  statSync(path: string): SnapshotFileStats;
  openSync(path: string, flags: string, mode?: number): number;
  writeSync(fd: number, data: Uint8Array, offset: number, length: number): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  linkSync(existing: string, target: string): void;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
  promises: {
    mkdir(path: string, options: { mode: number }): Promise<unknown>;
    stat(path: string): Promise<SnapshotFileStats>;
    open(path: string, flags: string, mode?: number): Promise<SnapshotFileHandle>;
    link(existing: string, target: string): Promise<void>;
    rename(from: string, to: string): Promise<void>;
    unlink(path: string): Promise<void>;
  };
}

/** What a snapshot write asks of `stat`: whether a path is a directory. */
export interface SnapshotFileStats {
  isDirectory(): boolean;
}

/** The file handle `SnapshotFileSystem.promises.open` returns: the subset of `FileHandle` a snapshot write uses. */
export interface SnapshotFileHandle {
  write(data: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * What a worker needs to write into a ring: post it to the worker (it holds a SharedArrayBuffer,
 * which is shared, not copied) and pass it to `TTLogProcessor.attach`.
 */
export interface RingHandle {
  readonly ttlogRing: 1;
  readonly buffer: SharedArrayBuffer;
}

/** Live counts of a ring, from `TTLogProcessor.stats()`. */
export interface RingStats {
  /** Records the main lane holds when full. */
  readonly capacity: number;
  /** Records the reserve lane (warnings and errors) holds when full; 0 without one. */
  readonly reserveCapacity: number;
  /** The slot size: larger records are trimmed. */
  readonly maxRecordBytes: number;
  readonly written: number;
  /** Records pushed out by newer ones. */
  readonly overwritten: number;
  readonly truncated: number;
  readonly dropped: number;
  /** Hand-off counts, when the processor has a `handoff` option. */
  readonly handoff?: HandoffStats;
  /** Values given to this processor's typed events, in this thread, once one is declared (README, "Typed events"). */
  readonly typedEvents?: TypedEventStats;
  /** The recorder thread's counts, for a processor that owns its ring and has an exporter (README, `recorderThread`). */
  readonly recorderThread?: RecorderThreadStats;
}

/** How a processor's recorder thread has fared. */
export interface RecorderThreadStats {
  /** Times the thread died after it had started; each is reported to `diag`, and the thread is started again a few times. */
  readonly crashes: number;
  /** Requested snapshots are written on the main thread: opted out, a custom `fileSystem`, a thread that could not start or crashed too often. */
  readonly onMainThread: boolean;
}

/** What a processor's typed events did with values of the wrong type. */
export interface TypedEventStats {
  /** Values converted to the declared type (a number for a string attribute, a numeric string for an int…). */
  readonly coercedValues: number;
  /** Values left out of their record, which counts them in its droppedAttributesCount. */
  readonly droppedValues: number;
}

/** Counts a snapshot carries; `written = captured + overwritten + skipped` holds exactly. */
export interface SnapshotCounters {
  /** Records ever written into the ring. */
  readonly written: number;
  /** Records in the snapshot. */
  readonly captured: number;
  /** Records overwritten by newer ones before the snapshot. */
  readonly overwritten: number;
  /** Records in the ring's window not captured: still being written, torn by an overwrite during the copy, or dropped. */
  readonly skipped: number;
  /** Records trimmed to fit (included in captured when captured). */
  readonly truncated: number;
  /**
   * Records a producer gave up on: its slot was still being written by a lapped producer, or
   * encoding failed. These already count within skipped or overwritten; only a record that
   * failed before it took a ticket (not reachable with SDK records) is counted here alone.
   */
  readonly dropped: number;
}

/** One lane's counters in a snapshot, with the lowest severity the lane takes. */
export interface SnapshotLaneCounters extends SnapshotCounters {
  /** The lowest severityNumber the lane takes: 0 for the main lane. */
  readonly minSeverity: number;
}

/** A snapshot file's header. */
export interface SnapshotMetadata {
  readonly formatVersion: { readonly major: number; readonly minor: number };
  readonly service: string;
  readonly hostname: string;
  readonly pid: number;
  /**
   * The ring that wrote it, as 32 hex digits: random, made with the ring, shared by the threads
   * writing into it. Records of one ring are identified by (`ring`, `lane`, `seq`), so
   * {@link mergeSnapshots} shows a record held by several snapshots of a ring once. Absent in
   * files written before rings carried an identity (format 1.0 files of ttlog 0.1).
   */
  readonly ring?: string;
  /** Why it was written: one of ttlog's reasons (the `SnapshotReason` type) or the application's own, as given to `snapshot(reason)`. */
  readonly reason: string;
  readonly createdAt: Date;
  readonly resource: Record<string, AnyValue>;
  readonly producer: { readonly name: string; readonly version: string };
  readonly counters: SnapshotCounters;
  /**
   * The same counters per lane (the main lane first, then the reserve lane for warnings and
   * errors, if the ring has one), each with the lowest severityNumber it takes.
   */
  readonly lanes: readonly SnapshotLaneCounters[];
  /** Records in the file. */
  readonly records: number;
  readonly chunks: number;
  /** Why the snapshot was taken, for crash snapshots. */
  readonly cause?: Record<string, AnyValue>;
}

/** The instrumentation scope of a record read back from a snapshot. */
export interface SnapshotScope {
  readonly name: string;
  readonly version?: string;
  readonly schemaUrl?: string;
  readonly attributes?: Record<string, AnyValue>;
}

/** One log record as read back from a snapshot. */
export interface SnapshotRecord {
  /** Position in the ring's write order (unique within one ring). */
  readonly seq: number;
  /** Nanoseconds since the Unix epoch. */
  readonly timestamp: bigint;
  readonly observedTimestamp: bigint;
  /** 0 when the record had none. */
  readonly severityNumber: number;
  readonly severityText?: string;
  readonly body?: AnyValue;
  readonly attributes: Record<string, AnyValue>;
  readonly eventName?: string;
  readonly scope: SnapshotScope;
  readonly traceId?: string;
  readonly spanId?: string;
  readonly traceFlags?: number;
  readonly droppedAttributesCount: number;
  /** Which producer (thread) wrote it: 0 is the ring's owner, workers count up. */
  readonly producer: number;
  /** The record was trimmed to fit its slot; cut strings end in "…". */
  readonly truncated: boolean;
  /** 1 when the record was kept in the reserve lane (then `seq` counts within that lane); absent for the main lane. */
  readonly lane?: number;
}

/** Something the reader had to skip. */
export interface SnapshotDamage {
  /**
   * `CHUNK_UNBOUND`, `CHUNK_FOREIGN`, `CHUNK_REPEATED`, `CHUNK_OUT_OF_ORDER` (format v1.1 on): an
   * intact block that is not in its place in this file, skipped (docs/format.md, "Reading a file").
   */
  readonly code:
    | 'CHUNK_CORRUPT'
    | 'CHUNK_UNREADABLE'
    | 'CHUNKS_MISSING'
    | 'CHUNK_UNBOUND'
    | 'CHUNK_FOREIGN'
    | 'CHUNK_REPEATED'
    | 'CHUNK_OUT_OF_ORDER'
    | 'TRUNCATED'
    | 'TRAILING_GARBAGE';
  /** Byte offset in the file where it was found. */
  readonly offset: number;
  /** Records lost, when the damaged part says how many it held. */
  readonly records?: number;
  readonly message: string;
}

/** A whole snapshot as `readSnapshot` reads it: its header, its records in file order, and what had to be skipped. */
export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly records: SnapshotRecord[];
  /** Empty for an intact file. */
  readonly damage: SnapshotDamage[];
}

/**
 * Hand-off to the OpenTelemetry pipeline (docs/handoff.md): records still in the ring leave
 * through a `LogRecordExporter` (`OTLPLogExporter`, say) when `processor.handoff()` is called,
 * when the severity trigger fires, and on SIGTERM/SIGINT capture; crash snapshots left by earlier
 * processes follow on the next start. Each record is handed off at most once per process.
 */
export interface HandoffOptions {
  /** Where records go: any OpenTelemetry `LogRecordExporter`. `shutdown()` of the processor shuts it down. */
  readonly exporter: LogRecordExporterLike;
  /**
   * What the severity trigger hands off: `'trace'` the records of the traces of the records that
   * triggered it (records without a trace id hand off everything new), `'all'` everything not
   * handed off yet. Default `'trace'`.
   */
  readonly scope?: 'trace' | 'all';
  /**
   * Hand off the crash snapshots that earlier processes left in the snapshot directory and that
   * are not handed off yet, in the background after the first record. Default true.
   */
  readonly recover?: boolean;
  /**
   * Longest time one export may take, in ms, and the longest a termination signal waits for its
   * hand-off before the process ends as it would have. Default 5000.
   */
  readonly timeoutMillis?: number;
  /** Most records per export. Default 512. */
  readonly maxExportBatchSize?: number;
}

/** What the hand-off did, in `TTLogProcessor.stats().handoff`. */
export interface HandoffStats {
  /** Records exported, from the ring and from recovered files. */
  readonly exported: number;
  /**
   * Records whose export failed or timed out (not retried from the ring; they stay in snapshot
   * files), and records of a recovered crash file's damaged chunks, which can never be read.
   */
  readonly failed: number;
  /** Snapshot files of earlier processes handed off and marked so. */
  readonly recoveredFiles: number;
  /** Snapshot files whose hand-off failed; a later start tries them again. */
  readonly failedFiles: number;
}
