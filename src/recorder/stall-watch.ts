/**
 * The stall watchdog's job on the recorder thread. The main thread bumps a heartbeat word in
 * shared memory from an unref'd interval (recorder-thread.ts); this job polls it and, when it has
 * not moved for the threshold, writes one snapshot of the shared ring (reason `stall`, with how
 * long the loop had been blocked) while the main thread is still blocked, then waits for the
 * heartbeat to move again before it can fire again. Only another thread can do this: a blocked
 * main thread runs no timers, no signal handlers and no I/O callbacks.
 *
 * The blocked time is measured from the last heartbeat this thread saw move, so it can exceed the
 * true block by up to one heartbeat plus one poll interval (triggers/options.ts, `heartbeatMs`).
 */
import { diag } from '@opentelemetry/api';
import type { RecorderJob } from './recorder-jobs.ts';
import { BEAT, type StallWatchData } from './recorder-protocol.ts';

/** Writes the stall snapshot, synchronously: the stall may end any moment, and the file is of the ring as the stall left it. */
export type WriteStallSnapshot = (cause: Readonly<Record<string, number>>) => void;

/** The stall watch as a job of the recorder thread. */
export function stallWatchJob(settings: StallWatchData, writeStall: WriteStallSnapshot): RecorderJob {
  const heartbeat = new Int32Array(settings.heartbeat);
  let lastBeat = Atomics.load(heartbeat, BEAT);
  let lastBeatAt = performance.now();
  let reported = false;
  return {
    everyMs: settings.pollMs,
    run: () => {
      const now = performance.now();
      const beat = Atomics.load(heartbeat, BEAT);
      if (beat !== lastBeat) {
        if (reported) diag.warn(`ttlog: the event loop was blocked for about ${Math.round(now - lastBeatAt)} ms`);
        lastBeat = beat;
        lastBeatAt = now;
        reported = false;
        return;
      }
      const blockedMs = now - lastBeatAt;
      if (reported || blockedMs < settings.thresholdMs) return;
      reported = true;
      writeStall({ blockedMs: Math.round(blockedMs), thresholdMs: settings.thresholdMs });
    },
  };
}
