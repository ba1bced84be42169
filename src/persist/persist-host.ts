/**
 * The `persist` option's moving parts in this process: the liveness lock (on this, the main
 * thread, so it lives exactly as long as the process) and a small unref'd worker thread that
 * opens the ring and calls `RingPersister.tick()` every `intervalMs` (persist-worker.ts). The
 * worker only hosts the ticks; whatever thread runs them, the persisted file is the same.
 *
 * A process that exits (the `exit` event) with code 0, or with crash capture's `exit` trigger on
 * (which writes a snapshot at every exit), removes its persisted file: nothing is lost that a
 * snapshot does not hold. Any other exit, and deaths that run no JavaScript, leave the file for the
 * next start to recover (persist-recovery.ts).
 */
import * as fs from 'node:fs';
import { hostname } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { diag } from '@opentelemetry/api';
import type { RingViews } from '../record/ring-layout.ts';
import { ensureDirectorySync } from '../snapshot/directory.ts';
import { currentProcess } from '../snapshot/process-identity.ts';
import { LivenessLock } from './liveness-lock.ts';
import type { PersistedOwner } from './persist-format.ts';
import type { PersistSettings } from './persist-settings.ts';
import { persistedFileName } from './persisted-file-name.ts';

/** What the persisting worker receives as `workerData`. */
export interface PersistWorkerData {
  readonly ring: SharedArrayBuffer;
  readonly path: string;
  readonly owner: PersistedOwner;
  readonly intervalMs: number;
}

/** Messages to the persisting worker. */
export type PersistWorkerMessage = { readonly resource: Record<string, unknown> } | { readonly close: true };

/** As watchdog.ts: the worker module is this module's sibling in the same form (.js when built, .ts from the sources). */
const WORKER_MODULE = new URL(`./persist-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/** One processor's persisted ring: its lock, its file and the worker that keeps the file up to date. */
export class PersistHost {
  /** The persisted file. */
  readonly path: string;
  private readonly lock: LivenessLock;
  private readonly worker: Worker;
  private readonly onExit = (code: number) => {
    if (code === 0 || this.exitWritesSnapshot) this.removeFile();
  };
  private closing: Promise<void> | undefined;

  /** Takes the lock and starts the worker; throws when the lock cannot be taken (the directory is missing or not writable). */
  constructor(
    ring: RingViews,
    settings: PersistSettings,
    /** Whether crash capture writes a snapshot at every exit. */
    private readonly exitWritesSnapshot: boolean,
  ) {
    const self = currentProcess();
    ensureDirectorySync(fs, settings.directory);
    this.lock = LivenessLock.listen(settings.directory);
    this.path = join(settings.directory, persistedFileName(settings.service ?? 'unknown_service', self));
    const owner: PersistedOwner = {
      service: settings.service ?? '',
      hostname: hostname(),
      pid: self.pid,
      space: self.space,
      start: self.start,
      createdAt: Date.now(),
      lock: this.lock.lock,
    };
    const data: PersistWorkerData = { ring: ring.buffer, path: this.path, owner, intervalMs: settings.intervalMs };
    this.worker = new Worker(WORKER_MODULE, { workerData: data, name: 'ttlog-persist' });
    this.worker.on('error', (error) => diag.error('ttlog: persisting the ring stopped', error));
    this.worker.unref();
    process.once('exit', this.onExit);
  }

  /** Sent once the processor knows it, so a recovered snapshot carries the resource. */
  sendResource(attributes: Readonly<Record<string, unknown>>): void {
    this.post({ resource: { ...attributes } });
  }

  /** Stops persisting and removes the file and the lock. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.stop();
    return this.closing;
  }

  private async stop(): Promise<void> {
    this.post({ close: true });
    process.removeListener('exit', this.onExit);
    await this.worker.terminate().catch(() => undefined);
    this.removeFile();
  }

  private post(message: PersistWorkerMessage): void {
    try {
      this.worker.postMessage(message);
    } catch (error) {
      diag.warn('ttlog: a message to the persisting thread was lost', error);
    }
  }

  private removeFile(): void {
    fs.rmSync(this.path, { force: true });
    this.lock.close();
  }
}
