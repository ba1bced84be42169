/**
 * Worker-thread failures: when a worker that writes into the ring dies of an uncaught error or
 * runs out of memory (`ERR_WORKER_OUT_OF_MEMORY`), its `Worker` object emits `error` on the main
 * thread, and its records are still in the shared ring. A snapshot (reason `worker-error`) is
 * written: synchronously when the error is about to crash this thread too (below), so the file
 * exists whatever happens next; otherwise the application handles the error and lives on, and the
 * snapshot is written off this thread, through the processor's recorder thread.
 *
 * An `error` event nobody listens to crashes the main thread. Listening would stop that, so when
 * ttlog's listener is the only one it rethrows the error after the snapshot: the main thread
 * crashes exactly as it would have, and crash capture (through the latch) knows that crash is
 * already in a file.
 */
import type { Worker } from 'node:worker_threads';
import type { CrashLatch } from './crash-capture.ts';
import { errorCause } from './error-cause.ts';
import type { SnapshotTarget } from './snapshot-target.ts';

/** Watches one worker; the returned function stops watching. */
export function watchWorker(worker: Worker, target: SnapshotTarget, latch: CrashLatch): () => void {
  const threadId = worker.threadId;
  const listener = (error: unknown): void => {
    const cause = { ...errorCause(error, 'worker'), threadId };
    if (worker.listenerCount('error') > 1) {
      // The application handles the error and this thread lives on: the snapshot can be written off it.
      void target.write('worker-error', cause);
      return;
    }
    target.writeSync('worker-error', cause);
    latch.fatalWritten = true;
    latch.rethrown = error;
    throw error;
  };
  worker.on('error', listener);
  const stop = (): void => {
    worker.off('error', listener);
  };
  // Once the worker has exited nothing more can come from it.
  worker.once('exit', stop);
  return stop;
}
