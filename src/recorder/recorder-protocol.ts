/**
 * What the main thread and its recorder thread (recorder-thread.ts, recorder-worker.ts) send each
 * other: plain data only, since everything crosses a `postMessage`. The ring itself is not sent
 * but shared: both threads see the same `SharedArrayBuffer`.
 */
import type { PersistJobData } from '../persist/persist-host.ts';
import type { SnapshotWriterSettings } from '../snapshot/snapshot-writer.ts';

/** The stall watch's part of {@link RecorderData}: the main thread's heartbeat and how to read it. */
export interface StallWatchData {
  /** One Int32 word the main thread bumps (word {@link BEAT}). */
  readonly heartbeat: SharedArrayBuffer;
  readonly thresholdMs: number;
  readonly pollMs: number;
}

/** What a recorder thread receives as `workerData`. */
export interface RecorderData {
  readonly ring: SharedArrayBuffer;
  /**
   * One Int32 word the thread sets to 1 once its modules are loaded and it listens. Shared memory
   * rather than a message, so that when the thread dies the main thread knows at once, whatever
   * order the two arrive in, whether it had started (a crash) or never could (a failed start).
   */
  readonly started: SharedArrayBuffer;
  /** The settings of the processor's writer: the thread makes a writer of its own from them. */
  readonly writer: SnapshotWriterSettings;
  /** Present when the stall watchdog is on. */
  readonly stallWatch: StallWatchData | undefined;
  /** Present with the `persist` option: the persisted file to make and keep up to date. */
  readonly persist: PersistJobData | undefined;
}

/** The heartbeat word bumped by the main thread. */
export const BEAT = 0;

/** Resource attributes as a snapshot header holds them. */
export type Attributes = Readonly<Record<string, unknown>>;

/** Main thread → recorder thread. */
export type RecorderRequest =
  /** Write a snapshot of the ring now; answered with `written` or `failed` carrying the same `id`. */
  | {
      readonly type: 'snapshot';
      readonly id: number;
      readonly reason: string;
      readonly cause: Attributes | undefined;
      readonly resource: Attributes | undefined;
    }
  /** The processor's resource, for the snapshots the thread writes of its own accord (stalls) and the persisted file. */
  | { readonly type: 'resource'; readonly resource: Attributes }
  /** Stop the periodic jobs (the main thread's heartbeat stops with its processor) and close the persisted file. */
  | { readonly type: 'stop-jobs' };

/** An error as it crosses threads: the message and the stable `code`, which a structured clone would drop. */
export interface PlainError {
  readonly message: string;
  readonly code: string | undefined;
}

/** `SnapshotOutcome` as it crosses threads. */
export interface PlainOutcome {
  readonly reason: string;
  readonly seconds: number;
  readonly bytes: number;
  readonly error: PlainError | undefined;
}

/** Recorder thread → main thread. */
export type RecorderReply =
  | { readonly type: 'written'; readonly id: number; readonly path: string; readonly outcome: PlainOutcome | undefined }
  | { readonly type: 'failed'; readonly id: number; readonly error: PlainError; readonly outcome: PlainOutcome | undefined }
  /** The outcome of a snapshot the thread wrote of its own accord. */
  | { readonly type: 'outcome'; readonly outcome: PlainOutcome }
  /** Sent while a request is being written, so the main thread's wait knows the thread is alive. */
  | { readonly type: 'busy' }
  /** What the thread's code reported to OpenTelemetry's `diag`, which is per thread: the main thread reports it. */
  | { readonly type: 'diag'; readonly level: 'error' | 'warn'; readonly message: string };

/** `error` as plain data. */
export function plainError(error: unknown): PlainError {
  if (!(error instanceof Error)) return { message: String(error), code: undefined };
  const code = (error as { code?: unknown }).code;
  return { message: error.message, code: typeof code === 'string' ? code : undefined };
}

/** A {@link PlainError} as an `Error` again, with its `code`. */
export function errorFrom(plain: PlainError): Error {
  return plain.code === undefined ? new Error(plain.message) : Object.assign(new Error(plain.message), { code: plain.code });
}
