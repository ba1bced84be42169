/**
 * Why a snapshot was written: every reason ttlog itself uses, in one place. The reason is stored
 * as given in the file header (`metadata.reason`) and, sanitised, in the file name
 * (file-name.ts), which is where retention reads it back from.
 *
 * Crash reasons mark snapshots taken because something went wrong (docs/crash-capture.md); with
 * `protectCrashSnapshots` retention holds them to its limits apart from the routine ones, so a
 * stream of periodic snapshots cannot push out the one someone still needs to read.
 */

/** Each reason and whether it marks a crash. */
const REASON_KINDS = {
  /** `processor.snapshot()` without a reason. */
  manual: 'routine',
  /** `forceFlush()` of the processor, its provider or its exporter. */
  flush: 'routine',
  /** The final snapshot of `processor.shutdown()`. */
  shutdown: 'routine',
  /** A batch given to `SnapshotExporter.export()`. */
  export: 'routine',
  /** Every `intervalMs`. */
  periodic: 'routine',
  /** Shortly after a record at or above the severity trigger's threshold. */
  error: 'routine',
  /** The on-demand signal (SIGUSR2 by default). */
  'on-demand': 'routine',
  'uncaught-exception': 'crash',
  'unhandled-rejection': 'crash',
  /** A termination signal (SIGTERM, SIGINT). */
  signal: 'crash',
  /** `process.exit()` or the end of the event loop. */
  exit: 'crash',
  /** A watched worker thread died of an error or ran out of memory. */
  'worker-error': 'crash',
  /** The event loop was blocked longer than the watchdog's threshold. */
  stall: 'crash',
  /** The persisted ring of a process that died without writing a snapshot (killed, out of memory), recovered by a later one. */
  recovered: 'crash',
  /** The used V8 heap reached the `heapPressure` share of its limit. */
  'heap-pressure': 'crash',
} as const satisfies Record<string, 'routine' | 'crash'>;

/**
 * A reason ttlog writes snapshots for. `processor.snapshot(reason)` also takes any other string:
 * such a custom reason is stored as given in the header, appears sanitised in the file name, and
 * counts as routine for retention (unless its sanitised form is a crash reason's).
 */
export type SnapshotReason = keyof typeof REASON_KINDS;

/** The reasons of snapshots taken because something went wrong. */
export const CRASH_REASONS: readonly SnapshotReason[] = (Object.keys(REASON_KINDS) as SnapshotReason[]).filter((reason) => REASON_KINDS[reason] === 'crash');
