/**
 * The event-loop stall watchdog, main-thread side. The main thread bumps a counter in shared
 * memory from an unref'd interval; a worker thread (watchdog-worker.ts) watches the counter and,
 * when it has not moved for longer than the threshold, writes a snapshot of the shared ring
 * (reason `stall`) while the main thread is still blocked. Only the worker can do this: a blocked
 * main thread runs no timers, no signal handlers and no I/O callbacks.
 *
 * The worker is unref'd (it never keeps the process alive) and terminated by `stop()`.
 */
import { diag } from '@opentelemetry/api';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WatchdogSettings } from './options.ts';
import type { ResourceLike } from '../otel-types.ts';
import type { SnapshotTarget } from './snapshot-target.ts';

/** What the watchdog worker receives as `workerData`. */
export interface WatchdogData {
  readonly entry: string;
  readonly typeScriptLoader: string | undefined;
  readonly ring: SharedArrayBuffer;
  readonly heartbeat: SharedArrayBuffer;
  readonly thresholdMs: number;
  readonly pollMs: number;
  readonly directory: string;
  readonly serviceName: string | undefined;
  readonly retention: unknown;
}

/** Messages from the watchdog worker. */
export type WatchdogMessage =
  | { readonly type: 'stall-ended'; readonly blockedMs: number }
  | { readonly type: 'write-failed'; readonly message: string };

/** Heartbeat word: bumped by the main thread. */
export const BEAT = 0;

/**
 * Loads the worker module. The bootstrap is inline (`eval`) so it works the same from `dist/*.js`
 * and from `src/*.ts`: it imports the worker module next to this file with this file's own
 * extension. When the sources run as TypeScript (this repository's tests, under tsx), the worker
 * registers tsx first: Node 20 does not apply `--import`ed loaders to worker threads, and Node 24's
 * own type stripping rejects syntax the sources use (parameter properties).
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.typeScriptLoader !== undefined) (await import(workerData.typeScriptLoader)).register();
  await import(workerData.entry);
})();
`;

export class Watchdog {
  private readonly heartbeat = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker;
  private readonly timer: NodeJS.Timeout;

  constructor(target: SnapshotTarget, settings: WatchdogSettings) {
    const extension = extname(fileURLToPath(import.meta.url));
    const data: WatchdogData = {
      entry: new URL(`./watchdog-worker${extension}`, import.meta.url).href,
      typeScriptLoader: extension === '.ts' ? typeScriptLoader() : undefined,
      ring: target.ringBuffer,
      heartbeat: this.heartbeat.buffer as SharedArrayBuffer,
      thresholdMs: settings.thresholdMs,
      pollMs: settings.heartbeatMs,
      directory: target.exporterSettings.directory,
      serviceName: target.exporterSettings.serviceName,
      retention: target.exporterSettings.retention,
    };
    this.worker = new Worker(BOOTSTRAP, { eval: true, workerData: data, name: 'ttlog-watchdog' });
    this.worker.on('message', (message: WatchdogMessage) => report(message));
    this.worker.on('error', (error) => diag.error('ttlog: the stall watchdog stopped', error));
    // After the listeners: adding a 'message' listener refs the worker again.
    this.worker.unref();
    this.timer = setInterval(() => this.beat(), settings.heartbeatMs);
    this.timer.unref();
  }

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

function typeScriptLoader(): string | undefined {
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch {
    return undefined;
  }
}
