/**
 * The recorder thread, main-thread side: one worker thread per owning processor that writes the
 * processor's non-fatal snapshots (`snapshot()`, flushes, periodic, severity, worker-error and
 * on-demand snapshots) so that capturing and encoding a large ring never holds up the main
 * thread's event loop, and runs the stall watchdog and the `persist` option's copying. The main
 * thread only posts a request (reason, cause, resource attributes) and awaits the reply: the
 * file's path, or the error the snapshot's promise rejects with. The thread itself is
 * recorder-worker.ts.
 *
 * Lifetime: the thread starts with the processor when it has periodic jobs, the stall watchdog or
 * `persist` (they must run before anything goes wrong), otherwise at the first snapshot request,
 * so a processor that never writes one costs no thread. It is unref'd: it never keeps the process
 * alive. A request waiting for its reply holds what a main-thread write holds, its time limit's
 * timer (deadline.ts), and nothing more; the thread's own `busy` messages restart that limit while
 * it writes, so only a thread that stops answering runs it out (`ETIMEDOUT`, as a stuck file
 * system does).
 *
 * The main thread writes requested snapshots itself (the path of every snapshot before this
 * thread existed) when the processor opts out (`recorderThread: false`), when the writer has a
 * file system of its own (which cannot be sent to a thread), when the writer serves several
 * processors (see {@link threadsOfWriter}), when the thread cannot be started, and after it
 * crashed more than {@link MAX_RESTARTS} times. A request in flight when the thread is lost is
 * written again on the main thread: a snapshot is never lost to the thread.
 *
 * Fatal paths (crash capture) do not come here: they write synchronously on the main thread.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { diag } from '@opentelemetry/api';
import type { PersistJobData } from '../persist/persist-host.ts';
import type { RingViews } from '../record/ring-layout.ts';
import { Deadline } from '../snapshot/deadline.ts';
import { asError, type SnapshotRequest, type SnapshotWriter } from '../snapshot/snapshot-writer.ts';
import type { RecorderThreadStats } from '../types.ts';
import { type Attributes, BEAT, errorFrom, type PlainOutcome, type RecorderData, type RecorderReply, type RecorderRequest } from './recorder-protocol.ts';

/**
 * The worker module is this module's sibling in the same form: recorder-worker.js beside the
 * compiled recorder-thread.js, as published, or recorder-worker.ts when the TypeScript sources are
 * run directly. In that case whatever loads the sources must load them in worker threads too;
 * ttlog itself knows nothing of TypeScript loaders.
 */
const WORKER_MODULE = new URL(`./recorder-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/** Crashes of a running thread after which it is started again; past them the main thread writes, and stalls go unwatched. */
export const MAX_RESTARTS = 3;

/**
 * Why the worker module could not be started, once it could not: the same module with the same
 * loaders fails the same way for every processor, so later ones go straight to the main thread
 * instead of paying for a failed start each, and the reason is reported once per process.
 */
let startFailure: string | undefined;

/**
 * How many processors' recorder threads write through each writer (an exporter given to several
 * processors). Retention never removes a name its own writer still has in flight, but a writer on
 * another thread cannot know those names: so a writer shared by several processors writes their
 * requested snapshots on the main thread, where its one set of names in flight protects them all.
 */
const threadsOfWriter = new WeakMap<SnapshotWriter, number>();

/** The stall watchdog's settings, as the recorder thread runs it (triggers/options.ts fills them in). */
export interface StallWatchSettings {
  readonly thresholdMs: number;
  readonly heartbeatMs: number;
}

/** What one processor's recorder thread does. */
export interface RecorderThreadOptions {
  /** Write requested snapshots on the thread; `false` writes them on the main thread. */
  readonly writesRequests: boolean;
  /** Present when the stall watchdog is on: the thread then starts at once, whatever `writesRequests` says. */
  readonly stallWatch: StallWatchSettings | undefined;
  /** Present with the `persist` option: as `stallWatch`, the thread then starts at once. */
  readonly persist: PersistJobData | undefined;
}

interface PendingWrite {
  readonly request: SnapshotRequest;
  readonly started: number;
  readonly deadline: Deadline;
  readonly resolve: (path: string) => void;
  readonly reject: (error: Error) => void;
}

/** One processor's recorder thread (see the top of this file). */
export class RecorderThread {
  private worker: Worker | undefined;
  /** Set to 1 by the running thread once it listens (recorder-protocol.ts, `started`). */
  private started = new Int32Array(new SharedArrayBuffer(4));
  private crashes = 0;
  private onMainThread: boolean;
  private stopped = false;
  private nextId = 0;
  private readonly pending = new Map<number, PendingWrite>();
  private resource: Attributes | undefined;
  private readonly heartbeat: Int32Array | undefined;
  private readonly heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ring: RingViews,
    private readonly writer: SnapshotWriter,
    private readonly options: RecorderThreadOptions,
  ) {
    this.onMainThread = !options.writesRequests || writer.hasOwnFileSystem || startFailure !== undefined;
    threadsOfWriter.set(writer, (threadsOfWriter.get(writer) ?? 0) + 1);
    if (!this.runsJobs()) return;
    if (startFailure !== undefined) {
      diag.warn(`ttlog: the recorder thread cannot be started (${startFailure}); ${this.jobsOff()}`);
      return;
    }
    const watch = options.stallWatch;
    if (watch !== undefined) {
      const heartbeat = new Int32Array(new SharedArrayBuffer(4));
      this.heartbeat = heartbeat;
      this.heartbeatTimer = setInterval(() => Atomics.add(heartbeat, BEAT, 1), watch.heartbeatMs);
      this.heartbeatTimer.unref();
    }
    this.start();
  }

  /**
   * Writes a snapshot of the ring, on the thread when it can; resolves to the file's path. As
   * `SnapshotWriter.write`: settles within the writer's time limit without progress, failures
   * go to `diag` and the outcome to the writer's listener.
   */
  write(request: SnapshotRequest): Promise<string> {
    const worker = this.writesHere() ? undefined : (this.worker ?? this.start());
    if (worker === undefined) return this.writer.write(request);
    if ((request.resource as { asyncAttributesPending?: boolean } | undefined)?.asyncAttributesPending === true) {
      // The header needs the attributes of async detectors; the thread can only be sent them once they are in.
      return request.resource!.waitForAsyncAttributes!().then(() => this.write(request));
    }
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const write: PendingWrite = { request, started: performance.now(), deadline: new Deadline(this.writer.settings.timeoutMillis), resolve, reject };
      write.deadline.signal.addEventListener('abort', () => this.timedOut(id), { once: true });
      this.pending.set(id, write);
      const asked: RecorderRequest = { type: 'snapshot', id, reason: request.reason, cause: request.cause, resource: request.resource?.attributes };
      try {
        worker.postMessage(asked);
      } catch {
        // A cause or attribute value that cannot be sent to a thread: this one is written here.
        this.writeHere(id);
      }
    });
  }

  /** The processor's resource, for the snapshots the thread writes of its own accord (stalls). */
  sendResource(attributes: Attributes): void {
    this.resource = attributes;
    this.send({ type: 'resource', resource: attributes });
  }

  /** How the thread has fared, for `stats()`. */
  stats(): RecorderThreadStats {
    return { crashes: this.crashes, onMainThread: this.onMainThread || this.sharesWriter() };
  }

  /** Stops the heartbeat and the thread; writes in flight finish first. Later requests are written on the main thread. */
  stop(): void {
    if (!this.stopped) threadsOfWriter.set(this.writer, (threadsOfWriter.get(this.writer) ?? 1) - 1);
    this.stopped = true;
    clearInterval(this.heartbeatTimer);
    if (this.pending.size === 0) this.terminate();
    else this.send({ type: 'stop-jobs' });
  }

  private start(): Worker | undefined {
    this.started = new Int32Array(new SharedArrayBuffer(4));
    const data: RecorderData = {
      ring: this.ring.buffer,
      started: this.started.buffer as SharedArrayBuffer,
      writer: this.writer.settings,
      stallWatch:
        this.options.stallWatch === undefined || this.heartbeat === undefined
          ? undefined
          : {
              heartbeat: this.heartbeat.buffer as SharedArrayBuffer,
              thresholdMs: this.options.stallWatch.thresholdMs,
              pollMs: this.options.stallWatch.heartbeatMs,
            },
      persist: this.options.persist,
    };
    let worker: Worker;
    try {
      worker = new Worker(WORKER_MODULE, { workerData: data, name: 'ttlog-recorder' });
    } catch (error) {
      this.cannotStart(error);
      return undefined;
    }
    this.worker = worker;
    worker.on('message', (reply: RecorderReply) => this.receive(reply));
    worker.on('error', (error) => this.lost(worker, error));
    worker.on('exit', (code) => this.lost(worker, new Error(`it exited with code ${code}`)));
    // After the listeners: adding a 'message' listener refs the worker again.
    worker.unref();
    if (this.resource !== undefined) this.send({ type: 'resource', resource: this.resource });
    return worker;
  }

  private receive(reply: RecorderReply): void {
    switch (reply.type) {
      case 'written': {
        const write = this.settle(reply.id);
        if (write === undefined) return;
        this.tellOutcome(reply.outcome, write);
        write.resolve(reply.path);
        return;
      }
      case 'failed': {
        const write = this.settle(reply.id);
        if (write === undefined) return;
        this.tellOutcome(reply.outcome, write);
        write.reject(errorFrom(reply.error));
        return;
      }
      case 'outcome':
        this.tellOutcome(reply.outcome, undefined);
        return;
      case 'busy':
        for (const write of this.pending.values()) write.deadline.progress();
        return;
      case 'diag':
        diag[reply.level](reply.message);
        return;
    }
  }

  /** The thread died or ended: requests in flight are written here, and the thread is started again while the budget lasts. */
  private lost(worker: Worker, error: unknown): void {
    // 'error' is followed by 'exit'; a terminated or replaced thread is no loss.
    if (this.worker !== worker) return;
    this.worker = undefined;
    const why = asError(error).message;
    let restart = false;
    if (Atomics.load(this.started, 0) === 0) {
      this.cannotStart(error);
    } else {
      this.crashes++;
      restart = this.crashes <= MAX_RESTARTS && !this.stopped;
      if (!restart) this.onMainThread = true;
      const next = restart ? 'it is started again' : `snapshots are written on the main thread from now on${this.runsJobs() ? `; ${this.jobsOff()}` : ''}`;
      diag.error(`ttlog: the recorder thread stopped (${why}); ${next}`);
    }
    for (const id of [...this.pending.keys()]) this.writeHere(id);
    // A thread that only writes requests starts again at the next one; periodic jobs cannot wait for that.
    if (restart && this.runsJobs()) this.start();
  }

  /** Requested snapshots are written on the main thread now. */
  private writesHere(): boolean {
    return this.onMainThread || this.stopped || this.sharesWriter();
  }

  private sharesWriter(): boolean {
    return (threadsOfWriter.get(this.writer) ?? 0) > 1;
  }

  /** The thread has periodic jobs (recorder-jobs.ts), so it must run from the processor's start, not only for requests. */
  private runsJobs(): boolean {
    return this.options.stallWatch !== undefined || this.options.persist !== undefined;
  }

  /** What is lost with the thread, besides writing snapshots off the main thread. */
  private jobsOff(): string {
    const off = [this.options.stallWatch === undefined ? '' : 'the stall watchdog', this.options.persist === undefined ? '' : 'persist'].filter(
      (job) => job !== '',
    );
    return `${off.join(' and ')} ${off.length > 1 ? 'are' : 'is'} off`;
  }

  private cannotStart(error: unknown): void {
    this.onMainThread = true;
    startFailure = asError(error).message;
    const jobs = this.runsJobs() ? `; ${this.jobsOff()}` : '';
    diag.warn(`ttlog: the recorder thread could not be started (${startFailure}); snapshots are written on the main thread in this process${jobs}`);
  }

  /** Writes a pending request on the main thread instead. */
  private writeHere(id: number): void {
    const write = this.settle(id);
    if (write !== undefined) this.writer.write(write.request).then(write.resolve, write.reject);
  }

  private timedOut(id: number): void {
    const write = this.settle(id);
    if (write !== undefined) write.reject(this.writer.reportFailureOf(write.deadline.signal.reason, write.request.reason, write.started));
  }

  /** Takes a request out of the pending ones; `undefined` when it was settled already. */
  private settle(id: number): PendingWrite | undefined {
    const write = this.pending.get(id);
    if (write === undefined) return undefined;
    this.pending.delete(id);
    write.deadline.clear();
    if (this.stopped && this.pending.size === 0) this.terminate();
    return write;
  }

  /** The outcome as the main thread saw it: a requested snapshot's time runs from its request. */
  private tellOutcome(outcome: PlainOutcome | undefined, write: PendingWrite | undefined): void {
    if (outcome === undefined) return;
    const seconds = write === undefined ? outcome.seconds : (performance.now() - write.started) / 1000;
    const { reason, bytes, error } = outcome;
    this.writer.tellOutcome(error === undefined ? { reason, seconds, bytes } : { reason, seconds, bytes, error: errorFrom(error) });
  }

  private send(message: RecorderRequest): void {
    try {
      this.worker?.postMessage(message);
    } catch (error) {
      diag.warn('ttlog: a message could not be sent to the recorder thread', error);
    }
  }

  private terminate(): void {
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
  }
}
