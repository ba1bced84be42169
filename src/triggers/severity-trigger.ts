/**
 * The severity trigger: a record at or above a severity (default ERROR) schedules a snapshot
 * (reason `error`) a short window later, so the records that follow the error are in the file.
 *
 * Hot path: the processor compares each record's severityNumber with {@link threshold} (one
 * integer comparison) and calls {@link hit} only for records that pass. `hit` allocates nothing:
 * while a snapshot is scheduled it only counts, and the timer callback is bound once, so an error
 * storm costs one timer per window and at most one file per `minIntervalMs`.
 *
 * With a hand-off, the trigger also hands off the records of the traces of the records that
 * triggered it (their trace ids collected until it fires, so the records of that window and of
 * the rate limit's wait join it); a triggering record without a trace id, or more traces than
 * {@link MAX_TRACES}, hands off everything new instead.
 */
import type { SeverityTriggerSettings } from './options.ts';
import type { SnapshotTarget } from './snapshot-target.ts';

/** Trace ids one hand-off collects; an error storm past this hands off everything new instead. */
const MAX_TRACES = 1024;
/** The trace id of no trace (OpenTelemetry's invalid span context). */
const NO_TRACE = '00000000000000000000000000000000';

/** The severity trigger of one processor (see the top of this file). */
export class SeverityTrigger {
  /** The lowest severityNumber that triggers. */
  readonly threshold: number;
  private readonly windowMs: number;
  private readonly minIntervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private lastSnapshotAt = Number.NEGATIVE_INFINITY;
  private firstSeverity = 0;
  private triggering = 0;
  private stopped = false;
  /** Trace ids of the records that triggered the coming hand-off; `undefined`: hand off everything new. */
  private traces: Set<string> | undefined = new Set();
  private readonly fire = (): void => this.writeSnapshot();

  constructor(
    private readonly target: SnapshotTarget,
    settings: SeverityTriggerSettings,
  ) {
    this.threshold = settings.severityNumber;
    this.windowMs = settings.windowMs;
    this.minIntervalMs = settings.minIntervalMs;
  }

  /** A record at or above the threshold was written; `traceId` is its trace's, for the hand-off. */
  hit(severityNumber: number, traceId?: string): void {
    this.triggering++;
    if (this.target.handoff !== undefined) this.noteTrace(traceId);
    if (this.timer !== undefined || this.stopped) return;
    this.firstSeverity = severityNumber;
    // Inside the rate limit, the snapshot waits for its end; the records meanwhile join it.
    const delay = Math.max(this.windowMs, this.lastSnapshotAt + this.minIntervalMs - performance.now());
    this.timer = setTimeout(this.fire, delay);
    this.timer.unref();
  }

  /** Cancels a scheduled snapshot; later hits schedule none. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private writeSnapshot(): void {
    this.timer = undefined;
    this.lastSnapshotAt = performance.now();
    const cause = { severityNumber: this.firstSeverity, triggeringRecords: this.triggering };
    this.triggering = 0;
    void this.target.write('error', cause);
    if (this.target.handoff !== undefined) {
      const traces = this.traces;
      this.traces = new Set();
      void this.target.handoff(traces === undefined ? undefined : [...traces]);
    }
  }

  private noteTrace(traceId: string | undefined): void {
    const traces = this.traces;
    if (traces === undefined) return;
    if (traceId === undefined || traceId === '' || traceId === NO_TRACE || traces.size >= MAX_TRACES) this.traces = undefined;
    else traces.add(traceId);
  }
}
