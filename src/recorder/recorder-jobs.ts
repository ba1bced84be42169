/**
 * The recorder thread's periodic jobs: functions it calls every so often, on its own event loop,
 * which a blocked main thread cannot hold up: the stall watch (stall-watch.ts) and `persist`'s
 * copying (persist-job.ts). Other background work over the shared ring joins them by adding a job
 * to the list the thread starts (recorder-worker.ts).
 */

/** A function the recorder thread calls every `everyMs` until its jobs are stopped. */
export interface RecorderJob {
  readonly everyMs: number;
  run(): void;
}

/** The jobs running on this thread; `stop` ends them all. */
export interface RunningJobs {
  stop(): void;
}

/** Starts each job's timer. A job that throws is reported to `report` and keeps its timer: one bad tick is no reason to stop watching. */
export function startJobs(jobs: readonly RecorderJob[], report: (error: unknown) => void): RunningJobs {
  const timers = jobs.map((job) =>
    setInterval(() => {
      try {
        job.run();
      } catch (error) {
        report(error);
      }
    }, job.everyMs),
  );
  return {
    stop: () => {
      for (const timer of timers) clearInterval(timer);
    },
  };
}
