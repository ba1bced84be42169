/**
 * Public option and result types, in one place. The exporter's options live beside the exporter
 * (snapshot/), which must not import this file back; they are re-exported here.
 */
import type { AnyValue } from './otel-types.ts';
import type { SnapshotExporter } from './snapshot/exporter.ts';
import type { SnapshotReason } from './snapshot/snapshot-reason.ts';

export type { SnapshotFileSystem, SnapshotFileHandle } from './snapshot/atomic-file.ts';
export type { SnapshotExporterOptions } from './snapshot/exporter.ts';
export type { RetentionOptions } from './snapshot/retention.ts';

export interface TTLogProcessorOptions {
  /** Where snapshots go. Default: a `SnapshotExporter` with its defaults. */
  readonly exporter?: SnapshotExporter;
  /** Records the ring keeps (rounded up to a power of two). Default 8192. */
  readonly capacity?: number;
  /**
   * Bytes of record payload the ring may use; when set, `capacity` is derived from it
   * (capacityBytes / maxRecordBytes, rounded down to a power of two).
   */
  readonly capacityBytes?: number;
  /**
   * The reserve lane: records at or above `minSeverity` (default 13, WARN) go to a lane of their
   * own instead of the main ring, so a flood of DEBUG/INFO records cannot push the last warnings
   * and errors out; snapshots merge the lanes by time, and each lane has its own counters. `capacity` defaults to an
   * eighth of the main capacity (at least 64). `false` turns it off. Default: on.
   */
  readonly severityLane?: false | { readonly minSeverity?: number; readonly capacity?: number };
  /** Largest encoded record (the slot size); larger records are trimmed and counted. Default 1024. */
  readonly maxRecordBytes?: number;
  /** Most interned strings. Default 4096. */
  readonly internCapacity?: number;
  /** Bytes for interned strings. Default 256 KiB. */
  readonly internBytes?: number;
  /** Longest string value (UTF-16 units) considered for interning. Default 64. */
  readonly maxInternedValueLength?: number;
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
   * Watch the event loop from a worker thread and write a snapshot (reason `stall`) while the main
   * thread is blocked longer than a threshold: `true` for the defaults, or an object. Default: off.
   */
  readonly watchdog?: boolean | WatchdogOptions;
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

/** The event-loop stall watchdog. */
export interface WatchdogOptions {
  /** How long the main thread may be blocked before a snapshot is written. Default 5000. */
  readonly thresholdMs?: number;
}

/** Options for a processor in a worker thread that writes into another thread's ring. */
export interface AttachOptions {
  /** Lets this processor write snapshots of the shared ring too. Default: none (the owner does). */
  readonly exporter?: SnapshotExporter;
  /** Default 64, as for {@link TTLogProcessorOptions.maxInternedValueLength}. */
  readonly maxInternedValueLength?: number;
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

export interface SnapshotLaneCounters extends SnapshotCounters {
  readonly minSeverity: number;
}

/** A snapshot file's header. */
export interface SnapshotMetadata {
  readonly formatVersion: { readonly major: number; readonly minor: number };
  readonly service: string;
  readonly hostname: string;
  readonly pid: number;
  /** Why it was written: one of ttlog's {@link SnapshotReason}s, or the application's own reason as given to `snapshot(reason)`. */
  readonly reason: SnapshotReason | (string & {});
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
  readonly code: 'CHUNK_CORRUPT' | 'CHUNK_UNREADABLE' | 'CHUNKS_MISSING' | 'TRUNCATED' | 'TRAILING_GARBAGE';
  /** Byte offset in the file where it was found. */
  readonly offset: number;
  /** Records lost, when the damaged part says how many it held. */
  readonly records?: number;
  readonly message: string;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly records: SnapshotRecord[];
  /** Empty for an intact file. */
  readonly damage: SnapshotDamage[];
}
