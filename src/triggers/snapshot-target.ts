/**
 * What a trigger needs from the processor it serves: a way to write a snapshot now (on this
 * thread, for fatal paths) or soon (async, through the processor's recorder thread when it has
 * one), and the ring's write count. Triggers never see the processor itself, so each one can be
 * tested and reasoned about alone.
 */
import type { SnapshotReason } from '../snapshot/snapshot-reason.ts';

/** Why a snapshot was taken; goes into the file header as `cause` (docs/format.md). */
export type SnapshotCause = Readonly<Record<string, string | number | boolean>>;

/** The processor as its triggers see it (see the top of this file). */
export interface SnapshotTarget {
  /**
   * Writes a snapshot before returning, without yielding to the event loop. Resolves to the
   * file's path, or `undefined` when the write failed (already reported to `diag`). Never throws.
   */
  writeSync(reason: SnapshotReason, cause?: SnapshotCause): string | undefined;
  /** Writes a snapshot off the hot path (on the recorder thread when there is one). Never rejects: failures are reported to `diag`. */
  write(reason: SnapshotReason, cause?: SnapshotCause): Promise<string | undefined>;
  /** Records ever written into the ring. */
  written(): number;
  /**
   * Present when the processor hands records off (its `handoff` option): exports the records not
   * handed off yet, of the traces in `traceIds` when given, and resolves when done. Never rejects.
   */
  handoff?(traceIds: readonly string[] | undefined): Promise<unknown>;
  /**
   * Present when the processor hands records off: the hand-off before a termination signal ends
   * the process, settled within the hand-off's time limit. Never rejects.
   */
  handoffBeforeExit?(): Promise<unknown>;
}
