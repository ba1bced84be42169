/**
 * ttlog — a flight recorder for OpenTelemetry JS logs.
 *
 * Register {@link TTLogProcessor} in a `LoggerProvider`; it keeps the most recent records in a
 * shared-memory ring and writes them to snapshot files, which {@link readSnapshot} reads back
 * ({@link readSnapshots} and {@link mergeSnapshots} merge several into one timeline).
 */

export type { AnyValue, LogRecordExporterLike, LogRecordLike, ReadableLogRecordLike } from './otel-types.ts';
export {
  isPersistedFile,
  type PersistedSnapshotBytes,
  type RecoveredPersistedFile,
  readPersistedFile,
  recoverPersistedFile,
} from './persist/persisted-file.ts';
export { PersistedFileError, type PersistedFileErrorCode } from './persist/persisted-file-error.ts';
export type { PersistDamage } from './persist/persisted-ring.ts';
export { type AttachOptions, TTLogProcessor, type TTLogProcessorOptions } from './processor.ts';
export { SnapshotFormatError, type SnapshotFormatErrorCode } from './read/errors.ts';
export { type ChunkOptions, iterateSnapshot, openSnapshot, type ReadOptions, readSnapshot, type SnapshotReader } from './read/reader.ts';
export type { RecordCursor, ValueKind } from './read/record-cursor.ts';
export {
  type MergeBatchOptions,
  type MergedFile,
  type MergedRecord,
  type MergedSnapshots,
  type MergeOptions,
  type MergeSource,
  mergeSnapshots,
  readSnapshots,
  type SnapshotMerge,
} from './read/snapshot-merge.ts';
export type { EventAttributeType, SeverityName, TypedEventOptions } from './record/event-declaration.ts';
export type { TypedEvent } from './record/typed-event.ts';
export { SnapshotExporter } from './snapshot/exporter.ts';
export type { SnapshotReason } from './snapshot/snapshot-reason.ts';
export type {
  CrashCaptureOptions,
  HandoffOptions,
  HandoffStats,
  HeapPressureOptions,
  PersistOptions,
  RecorderThreadStats,
  RetentionOptions,
  RingHandle,
  RingStats,
  SeverityTriggerOptions,
  Snapshot,
  SnapshotCodec,
  SnapshotCounters,
  SnapshotDamage,
  SnapshotExporterOptions,
  SnapshotFileHandle,
  SnapshotFileStats,
  SnapshotFileSystem,
  SnapshotLaneCounters,
  SnapshotMetadata,
  SnapshotRecord,
  SnapshotScope,
  SnapshotTriggerOptions,
  TypedEventStats,
  WatchdogOptions,
} from './types.ts';
export { VERSION } from './version.ts';
