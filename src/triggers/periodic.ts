/**
 * Periodic snapshots (reason `periodic`). The timer is unref'd, so it never keeps a process
 * alive, and a tick is skipped when no record was written since the last periodic snapshot
 * (an idle service does not fill its directory with copies of the same records).
 */
import type { SnapshotTarget } from './snapshot-target.ts';

/** Periodic snapshots of one processor's ring, from construction until {@link PeriodicSnapshots.stop}. */
export class PeriodicSnapshots {
  private readonly timer: NodeJS.Timeout;
  private writtenAtLastSnapshot: number;
  private inFlight = false;

  constructor(
    private readonly target: SnapshotTarget,
    intervalMs: number,
  ) {
    this.writtenAtLastSnapshot = target.written();
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  /** No more ticks; a snapshot already being written finishes. */
  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const written = this.target.written();
    // A write slower than the interval is not stacked on: the next tick after it ends catches up.
    if (written === this.writtenAtLastSnapshot || this.inFlight) return;
    this.writtenAtLastSnapshot = written;
    this.inFlight = true;
    void this.target.write('periodic').finally(() => {
      this.inFlight = false;
    });
  }
}
