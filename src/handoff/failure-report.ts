/**
 * Hand-off failures to `diag`, at most one message per interval: a collector that is down fails
 * every export, and each would otherwise log. The messages in between are counted into the next.
 */
import { diag } from '@opentelemetry/api';

const REPORT_INTERVAL_MS = 10_000;

/** One hand-off's failure reporting: the time of its last message and the failures since. */
export class FailureReport {
  private lastAt = Number.NEGATIVE_INFINITY;
  private unreported = 0;

  /** Reports that `what` failed with `error`, or counts it when the last message is too recent. */
  failed(what: string, error: Error): void {
    const now = performance.now();
    if (now - this.lastAt < REPORT_INTERVAL_MS) {
      this.unreported++;
      return;
    }
    const more = this.unreported === 0 ? '' : ` (and ${this.unreported} more hand-off failures since the last report)`;
    this.lastAt = now;
    this.unreported = 0;
    diag.warn(`ttlog: ${what} failed: ${error.message}${more}`);
  }
}
