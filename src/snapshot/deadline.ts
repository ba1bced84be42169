/**
 * The time limit of one asynchronous snapshot. A step that never ends (a write to a file system
 * that stopped answering, a resource whose async attributes never settle) cannot be cancelled,
 * only left behind: the snapshot's promise settles with the deadline's error instead, and the
 * signal tells the abandoned work to stop and clean up at its next step, should it ever get one.
 * Each step that ends (a chunk encoded, a file system call answered) starts the limit again: a
 * large ring on a busy machine takes long in all, and that is no reason to lose its snapshot.
 */

/** The default of `SnapshotExporterOptions.timeoutMillis`, as OpenTelemetry's exporters' `timeoutMillis`. */
export const DEFAULT_TIMEOUT_MILLIS = 10_000;

/** The largest delay `setTimeout` keeps; a longer one would fire at once. */
const MAX_TIMEOUT_MILLIS = 2 ** 31 - 1;

/** Checks `timeoutMillis` when the exporter is made, so a typo fails at startup. */
export function checkedTimeoutMillis(value: number | undefined): number {
  if (value === undefined) return DEFAULT_TIMEOUT_MILLIS;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_TIMEOUT_MILLIS) {
    throw new RangeError(`ttlog: timeoutMillis must be an integer from 1 to ${MAX_TIMEOUT_MILLIS}, got ${String(value)}`);
  }
  return value;
}

/** The error a snapshot's promise rejects with when its time is up; `code` is `ETIMEDOUT`. */
function snapshotTimedOut(timeoutMillis: number): Error {
  return Object.assign(new Error(`ttlog: the snapshot made no progress for ${timeoutMillis} ms (timeoutMillis); the file system may have stopped answering`), {
    code: 'ETIMEDOUT',
  });
}

/** What a multi-step write needs of its time limit: whether it has passed, and a way to report progress. */
export interface StepLimit {
  readonly signal: AbortSignal;
  /** Starts the limit again: a step has ended. */
  progress(): void;
}

/** The time limit of one snapshot, started again by each step that ends (see the top of this file). */
export class Deadline implements StepLimit {
  /** Aborted, with the deadline's error as its reason, when the time is up. */
  readonly signal: AbortSignal;
  private readonly timer: NodeJS.Timeout;

  constructor(timeoutMillis: number) {
    const controller = new AbortController();
    this.signal = controller.signal;
    // Not unref'd, unlike ttlog's other timers: someone awaits this snapshot, and the timer is
    // what answers them when the step they wait on holds nothing else that keeps the process up.
    // It is cleared as soon as the snapshot settles.
    this.timer = setTimeout(() => controller.abort(snapshotTimedOut(timeoutMillis)), timeoutMillis);
  }

  /** `work`'s outcome, or the deadline's error once the time is up, whichever comes first. */
  race<T>(work: Promise<T>): Promise<T> {
    const { signal } = this;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** Starts the limit again after a step that made progress. */
  progress(): void {
    if (!this.signal.aborted) this.timer.refresh();
  }

  /** Stops the timer; the snapshot has settled. */
  clear(): void {
    clearTimeout(this.timer);
  }
}
