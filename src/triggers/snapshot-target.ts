/**
 * What a trigger needs from the processor it serves: a way to write a snapshot now (on this
 * thread, for fatal paths) or soon (async), and the ring's write count. Triggers never see the
 * processor itself, so each one can be tested and reasoned about alone.
 */
import type { RetentionOptions } from '../types.ts';

/** Why a snapshot was taken; goes into the file header as `cause` (docs/format.md). */
export type SnapshotCause = Readonly<Record<string, string | number | boolean>>;

export interface SnapshotTarget {
  /**
   * Writes a snapshot before returning, without yielding to the event loop. Resolves to the
   * file's path, or `undefined` when the write failed (already reported to `diag`). Never throws.
   */
  writeSync(reason: string, cause?: SnapshotCause): string | undefined;
  /** Writes a snapshot off the hot path. Never rejects: failures are reported to `diag`. */
  write(reason: string, cause?: SnapshotCause): Promise<string | undefined>;
  /** Records ever written into the ring. */
  written(): number;
  /** What a watchdog thread needs to write snapshots of the same ring on its own. */
  readonly ringBuffer: SharedArrayBuffer;
  readonly exporterSettings: ExporterSettings;
}

/** The parts of a `SnapshotExporter`'s configuration that can be sent to another thread. */
export interface ExporterSettings {
  readonly directory: string;
  readonly serviceName: string | undefined;
  readonly retention: RetentionOptions | undefined;
}
