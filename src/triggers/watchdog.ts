/**
 * The event-loop stall watchdog, main-thread side. The main thread bumps a counter in shared
 * memory from an unref'd interval; a worker thread (watchdog-worker.ts) watches the counter and,
 * when it has not moved for longer than the threshold, writes a snapshot of the shared ring
 * (reason `stall`) while the main thread is still blocked. Only the worker can do this: a blocked
 * main thread runs no timers, no signal handlers and no I/O callbacks.
 *
 * The worker is unref'd (it never keeps the process alive) and terminated by `stop()`.
 */

import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { diag } from '@opentelemetry/api';
import type { ResourceLike } from '../otel-types.ts';
import type { SnapshotWriterSettings } from '../snapshot/snapshot-writer.ts';
import type { WatchdogSettings } from './options.ts';
import type { SnapshotTarget } from './snapshot-target.ts';

/** What the watchdog worker receives as `workerData`. */
export interface WatchdogData {
  readonly ring: SharedArrayBuffer;
  readonly heartbeat: SharedArrayBuffer;
  readonly thresholdMs: number;
  readonly pollMs: number;
  readonly writer: SnapshotWriterSettings;
}

/** Messages from the watchdog worker. */
export type WatchdogMessage = { readonly type: 'stall-ended'; readonly blockedMs: number } | { readonly type: 'write-failed'; readonly message: string };

/** Heartbeat word: bumped by the main thread. */
export const BEAT = 0;

/**
 * The worker module is this module's sibling in the same form: watchdog-worker.js beside the
 * compiled watchdog.js, as published, or watchdog-worker.ts when the TypeScript sources are run
 * directly. In that case whatever loads the sources must load them in worker threads too; ttlog
 * itself knows nothing of TypeScript loaders.
 */
const WORKER_MODULE = new URL(`./watchdog-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/** One processor's stall watchdog: the heartbeat on this thread and the worker that watches it. */
export class Watchdog {
  private readonly heartbeat = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker;
  private readonly timer: NodeJS.Timeout;

  constructor(target: SnapshotTarget, settings: WatchdogSettings) {
    const data: WatchdogData = {
      ring: target.ringBuffer,
      heartbeat: this.heartbeat.buffer as SharedArrayBuffer,
      thresholdMs: settings.thresholdMs,
      pollMs: settings.heartbeatMs,
      writer: target.writerSettings,
    };
    this.worker = new Worker(WORKER_MODULE, { workerData: data, name: 'ttlog-watchdog' });
    this.worker.on('message', (message: WatchdogMessage) => report(message));
    this.worker.on('error', (error) => diag.error('ttlog: the stall watchdog stopped', error));
    // After the listeners: adding a 'message' listener refs the worker again.
    this.worker.unref();
    this.timer = setInterval(() => this.beat(), settings.heartbeatMs);
    this.timer.unref();
  }

  /** Stops the heartbeat and terminates the worker. */
  stop(): void {
    clearInterval(this.timer);
    void this.worker.terminate();
  }

  /** Sent as soon as the processor knows it, so a stall right after the first record still has it. */
  sendResource(resource: ResourceLike): void {
    try {
      this.worker.postMessage({ resource: { ...resource.attributes } });
    } catch (error) {
      diag.warn('ttlog: the resource could not be sent to the stall watchdog; its snapshots will lack it', error);
    }
  }

  private beat(): void {
    Atomics.add(this.heartbeat, BEAT, 1);
  }
}

function report(message: WatchdogMessage): void {
  if (message.type === 'stall-ended') diag.warn(`ttlog: the event loop was blocked for about ${Math.round(message.blockedMs)} ms`);
  else diag.error(`ttlog: stall snapshot failed: ${message.message}`);
}
