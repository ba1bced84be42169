/**
 * The severity trigger: a record at or above a severity (default ERROR) schedules a snapshot
 * (reason `error`) a short window later, so the records that follow the error are in the file.
 *
 * Hot path: the processor compares each record's severityNumber with {@link threshold} (one
 * integer comparison) and calls {@link hit} only for records that pass. `hit` allocates nothing:
 * while a snapshot is scheduled it only counts, and the timer callback is bound once, so an error
 * storm costs one timer per window and at most one file per `minIntervalMs`.
 */
import type { SeverityTriggerSettings } from './options.ts';
import type { SnapshotTarget } from './snapshot-target.ts';

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
  private readonly fire = (): void => this.writeSnapshot();

  constructor(
    private readonly target: SnapshotTarget,
    settings: SeverityTriggerSettings,
  ) {
    this.threshold = settings.severityNumber;
    this.windowMs = settings.windowMs;
    this.minIntervalMs = settings.minIntervalMs;
  }

  /** A record at or above the threshold was written. */
  hit(severityNumber: number): void {
    this.triggering++;
    if (this.timer !== undefined || this.stopped) return;
    this.firstSeverity = severityNumber;
    // Inside the rate limit, the snapshot waits for its end; the records meanwhile join it.
    const delay = Math.max(this.windowMs, this.lastSnapshotAt + this.minIntervalMs - performance.now());
    this.timer = setTimeout(this.fire, delay);
    this.timer.unref();
  }

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
  }
}
