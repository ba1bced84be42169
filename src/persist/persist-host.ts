/**
 * The `persist` option's main-thread part: the liveness lock (on this thread, so it lives exactly
 * as long as the process), the persisted file's name and owner, and its removal. The copying
 * itself is a periodic job of the processor's recorder thread (recorder/persist-job.ts), which
 * makes the file with the data {@link PersistHost.jobData} gives it.
 *
 * A process that exits (the `exit` event) with code 0, with crash capture's `exit` trigger on
 * (which writes a snapshot at every exit), or after a snapshot that holds every record written
 * (an uncaught exception's crash snapshot, say) removes its persisted file: recovering it would
 * only repeat that snapshot. Any other exit, and deaths that run no JavaScript, leave the file for
 * the next start to recover (persist-recovery.ts).
 */
import * as fs from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ensureDirectorySync } from '../snapshot/directory.ts';
import { currentProcess } from '../snapshot/process-identity.ts';
import { LivenessLock } from './liveness-lock.ts';
import type { PersistedOwner } from './persist-format.ts';
import type { PersistSettings } from './persist-settings.ts';
import { persistedFileName } from './persisted-file-name.ts';

/** What the thread that keeps the persisted file up to date is given: plain data, sent to it. */
export interface PersistJobData {
  readonly path: string;
  readonly owner: PersistedOwner;
  readonly intervalMs: number;
}

/** One processor's persisted ring, main-thread side: its lock and its file's name (see the top of this file). */
export class PersistHost {
  /** What the recorder thread needs to make and keep the file. */
  readonly jobData: PersistJobData;
  private readonly lock: LivenessLock;
  private readonly onExit = (code: number) => {
    if (code === 0 || this.exitWritesSnapshot || this.ringInSnapshot()) this.close();
  };
  private closed = false;

  /** Takes the lock; throws when it cannot be taken (the directory is missing or not writable). */
  constructor(
    settings: PersistSettings,
    /** Whether crash capture writes a snapshot at every exit. */
    private readonly exitWritesSnapshot: boolean,
    /** Whether a snapshot written so far holds every record the ring has taken. */
    private readonly ringInSnapshot: () => boolean,
  ) {
    const self = currentProcess();
    ensureDirectorySync(fs, settings.directory);
    this.lock = LivenessLock.listen(settings.directory);
    const owner: PersistedOwner = {
      service: settings.service ?? '',
      hostname: hostname(),
      pid: self.pid,
      space: self.space,
      start: self.start,
      createdAt: Date.now(),
      lock: this.lock.lock,
    };
    this.jobData = { path: join(settings.directory, persistedFileName(settings.service ?? 'unknown_service', self)), owner, intervalMs: settings.intervalMs };
    process.once('exit', this.onExit);
  }

  /** The persisted file. */
  get path(): string {
    return this.jobData.path;
  }

  /** Removes the file and the lock; call once the thread's jobs are stopped. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    process.removeListener('exit', this.onExit);
    fs.rmSync(this.path, { force: true });
    this.lock.close();
  }
}
