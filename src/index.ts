/**
 * ttlog — a flight recorder for OpenTelemetry JS logs.
 *
 * Register {@link TTLogProcessor} in a `LoggerProvider`; it keeps the most recent records in a
 * shared-memory ring and writes them to snapshot files, which {@link readSnapshot} reads back.
 */
export { TTLogProcessor, type AttachOptions, type TTLogProcessorOptions } from './processor.ts';
export { SnapshotExporter } from './snapshot/exporter.ts';
export type { SnapshotReason } from './snapshot/snapshot-reason.ts';
export { openSnapshot, readSnapshot, iterateSnapshot, type ChunkOptions, type ReadOptions, type SnapshotReader } from './read/reader.ts';
export type { RecordCursor, ValueKind } from './read/record-cursor.ts';
export { SnapshotFormatError, type SnapshotFormatErrorCode } from './read/errors.ts';
export { VERSION } from './version.ts';
export type {
  CrashCaptureOptions,
  RetentionOptions,
  SeverityTriggerOptions,
  WatchdogOptions,
  RingHandle,
  RingStats,
  Snapshot,
  SnapshotCounters,
  SnapshotLaneCounters,
  SnapshotDamage,
  SnapshotExporterOptions,
  SnapshotFileHandle,
  SnapshotFileSystem,
  SnapshotMetadata,
  SnapshotRecord,
  SnapshotScope,
  SnapshotTriggerOptions,
} from './types.ts';
export type { AnyValue, LogRecordLike } from './otel-types.ts';
