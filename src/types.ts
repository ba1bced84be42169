/** Public option and result types, in one place. */
import type { SnapshotFileSystem } from './internal/atomic-file.ts';
import type { AnyValue } from './otel-types.ts';
import type { SnapshotExporter } from './exporter.ts';

export type { SnapshotFileSystem, SnapshotFileHandle } from './internal/atomic-file.ts';

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
  /** Largest encoded record (the slot size); larger records are trimmed and counted. Default 1024. */
  readonly maxRecordBytes?: number;
  /** Most interned strings. Default 4096. */
  readonly internCapacity?: number;
  /** Bytes for interned strings. Default 256 KiB. */
  readonly internBytes?: number;
  /** Longest string value (UTF-16 units) considered for interning. Default 64. */
  readonly maxInternedValueLength?: number;
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

export interface SnapshotExporterOptions {
  /** Directory for snapshot files. Default: `TTLOG_SNAPSHOT_DIR`, else the OS temp directory. */
  readonly directory?: string;
  /** Service name in file names and headers. Default: `TTLOG_SERVICE_NAME`, else the resource's `service.name`. */
  readonly serviceName?: string;
  /** Slot size for records given to `export()`. Default 16 KiB. */
  readonly maxRecordBytes?: number;
  /** File system to write through (tests use it to simulate a full disk). Default `node:fs`. */
  readonly fileSystem?: SnapshotFileSystem;
}

/** Live counts of a ring, from `TTLogProcessor.stats()`. */
export interface RingStats {
  /** Records the ring holds when full. */
  readonly capacity: number;
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

/** A snapshot file's header. */
export interface SnapshotMetadata {
  readonly formatVersion: { readonly major: number; readonly minor: number };
  readonly service: string;
  readonly hostname: string;
  readonly pid: number;
  readonly reason: string;
  readonly createdAt: Date;
  readonly resource: Record<string, AnyValue>;
  readonly producer: { readonly name: string; readonly version: string };
  readonly counters: SnapshotCounters;
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
}

/** Something the reader had to skip. */
export interface SnapshotDamage {
  readonly code: 'CHUNK_CORRUPT' | 'CHUNK_UNREADABLE' | 'TRUNCATED' | 'TRAILING_GARBAGE';
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
