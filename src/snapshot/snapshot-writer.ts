/**
 * The snapshot file writer behind every path that writes one: a processor's `snapshot()`, the
 * exporter's `export()`, the triggers (crash capture on this thread), and the processor's recorder
 * thread, which makes one of its own from {@link SnapshotWriterSettings}. It owns the file name,
 * the atomic write and retention; it is not part of the package's API (`SnapshotExporter` is the
 * public face, and hands its writer to the processor it serves).
 *
 * `write` and `writeSync` take the same request and share every step but the waiting: the async
 * one yields to the event loop between chunks; the sync one is for paths where the loop may not
 * turn again.
 */

import { hostname } from 'node:os';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { diag } from '@opentelemetry/api';
import type { ChunkCodecName } from '../format/file-format.ts';
import type { ResourceLike } from '../otel-types.ts';
import type { RingViews } from '../record/ring-layout.ts';
import type { RetentionOptions, SnapshotFileSystem } from '../types.ts';
import { VERSION } from '../version.ts';
import { defaultFileSystem, type NextName, writeFileAtomically, writeFileAtomicallySync } from './atomic-file.ts';
import { usableCodec } from './chunk-codec.ts';
import { checkedTimeoutMillis, Deadline } from './deadline.ts';
import { snapshotFileName } from './file-name.ts';
import { applyRetention, applyRetentionSync, checkedRetention } from './retention.ts';
import { captureRing } from './ring-capture.ts';
import { type SnapshotDescription, SnapshotEncoder } from './snapshot-encoder.ts';
import type { SnapshotReason } from './snapshot-reason.ts';
import { removeOrphanedTempFiles, removeOrphanedTempFilesSync } from './temp-file.ts';

/** What a snapshot is of and why; the writer adds where and who. */
export interface SnapshotRequest {
  readonly ring: RingViews;
  /** One of ttlog's reasons or the application's own (see {@link SnapshotReason}). */
  readonly reason: SnapshotReason | (string & {});
  readonly resource?: ResourceLike | undefined;
  readonly cause?: Readonly<Record<string, unknown>> | undefined;
  /** Another process's ring being written for it (a recovered one): its service, host, pid and time replace this process's. */
  readonly origin?: SnapshotOrigin | undefined;
}

/** Whose snapshot a request is when it is not this process's. */
export interface SnapshotOrigin {
  readonly service: string;
  readonly hostname: string;
  readonly pid: number;
  /** The header's `createdAt` and the file name's time. */
  readonly createdAt: Date;
}

/** Where and for whom a writer writes: plain data, so a recorder thread can be sent it and make its own writer. */
export interface SnapshotWriterSettings {
  readonly directory: string;
  /** `undefined`: the request's resource `service.name`, else `unknown_service`. */
  readonly serviceName: string | undefined;
  readonly retention: RetentionOptions | undefined;
  /** Longest time an async write may take (deadline.ts); the sync write cannot be timed out. */
  readonly timeoutMillis: number;
  /** How chunks are compressed (chunk-codec.ts). */
  readonly codec: ChunkCodecName;
}

/** What became of one snapshot, for self-metrics: told to the listener given to {@link SnapshotWriter.observe}. */
export interface SnapshotOutcome {
  readonly reason: SnapshotRequest['reason'];
  /** Seconds from the request to the file in place, or to the failure. */
  readonly seconds: number;
  /** The file's size; 0 when the write failed. */
  readonly bytes: number;
  /** Why the write failed; absent when the file is in place. */
  readonly error?: Error;
}

/** {@link SnapshotWriterSettings}, any of them left out, and the file system. */
export interface SnapshotWriterOptions {
  readonly directory: string;
  readonly serviceName?: string | undefined;
  readonly retention?: RetentionOptions | undefined;
  /** Default 10000. */
  readonly timeoutMillis?: number | undefined;
  /** Default `lz4`. */
  readonly codec?: ChunkCodecName | undefined;
  /** Default `node:fs`. Not part of the settings: a file system cannot be sent to another thread. */
  readonly fileSystem?: SnapshotFileSystem | undefined;
}

/** Writes snapshot files into one directory for one service (see the top of this file). */
export class SnapshotWriter {
  /** Where and for whom this writer writes; plain data, which a recorder thread is sent to make its own writer. */
  readonly settings: SnapshotWriterSettings;
  /** True when the writer was given a file system of its own, which a writer made from {@link settings} on another thread would not use. */
  readonly hasOwnFileSystem: boolean;
  private readonly fileSystem: SnapshotFileSystem;
  /**
   * The sequence number in this writer's file names, which keeps its own names apart within a
   * millisecond. Another writer in the same process (a second exporter, the recorder thread's
   * writer) counts on its own and may pick a name this one already used: the atomic write never
   * replaces a file, it takes the next number instead (atomic-file.ts). So the counter needs no
   * state shared between writers or threads.
   */
  private nextSeq = 0;
  private outcomeListener: ((outcome: SnapshotOutcome) => void) | undefined;
  /** Temp files left by dead writers are looked for after this writer's first write, and with every retention pass after that. */
  private tempFilesSwept = false;
  /**
   * Every name this writer has handed to a write that has not returned yet (a name found taken
   * included, harmlessly): retention, this write's pass or a concurrent one's, never removes them,
   * so each write resolves to a file that is there.
   */
  private readonly namesInFlight = new Set<string>();

  constructor(options: SnapshotWriterOptions) {
    this.settings = {
      directory: options.directory,
      serviceName: options.serviceName,
      retention: checkedRetention(options.retention),
      timeoutMillis: checkedTimeoutMillis(options.timeoutMillis),
      codec: usableCodec(options.codec),
    };
    this.fileSystem = options.fileSystem ?? defaultFileSystem;
    this.hasOwnFileSystem = options.fileSystem !== undefined;
  }

  /** Tells `listener` of every snapshot this writer completes or fails from now on (one listener; a new one replaces it). */
  observe(listener: (outcome: SnapshotOutcome) => void): void {
    this.outcomeListener = listener;
  }

  /** Tells the {@link observe} listener of a snapshot another thread's writer wrote or failed for this one. */
  tellOutcome(outcome: SnapshotOutcome): void {
    this.tellListener(() => outcome);
  }

  /**
   * Reports a snapshot that failed elsewhere for this writer (a recorder thread that stopped
   * answering) as one of its own failures: to `diag` and the listener. Returns the error.
   */
  reportFailureOf(error: unknown, reason: SnapshotRequest['reason'], started: number): Error {
    return this.reportFailure(error, { reason }, started);
  }

  /**
   * Writes a snapshot of `request.ring`; resolves to the file's path. Settles within
   * `settings.timeoutMillis`: past it, rejects with an `ETIMEDOUT` error. Failures are also
   * reported to `diag`. Cleanup that runs out of time is reported and leaves the path standing.
   */
  async write(request: SnapshotRequest): Promise<string> {
    const started = performance.now();
    const deadline = new Deadline(this.settings.timeoutMillis);
    const names = this.names(request);
    try {
      const path = await deadline.race(this.writeFile(request, names, started, deadline));
      await deadline.race(this.removeOldFiles(request)).catch((error: unknown) => this.reportRetentionFailure(error));
      return path;
    } catch (error) {
      throw this.reportFailure(error, request, started);
    } finally {
      deadline.clear();
      names.release();
    }
  }

  /** {@link write} without giving up the thread: for when the event loop may not turn again. */
  writeSync(request: SnapshotRequest): string {
    const started = performance.now();
    const names = this.names(request);
    try {
      const encoder = encoderFor(request.ring, this.settings.codec);
      const chunks = [...encoder.chunkBlocks()];
      const { directory, retention } = this.settings;
      const blocks = this.fileBlocks(encoder, chunks, request);
      const path = writeFileAtomicallySync(this.fileSystem, directory, names.next, blocks);
      this.tell(request, started, blocks);
      if (this.sweepsTempFiles()) this.reportingCleanupFailure(() => removeOrphanedTempFilesSync(directory));
      if (retention !== undefined) this.reportingCleanupFailure(() => applyRetentionSync(directory, this.serviceFor(request), retention, this.namesInFlight));
      return path;
    } catch (error) {
      throw this.reportFailure(error, request, started);
    } finally {
      names.release();
    }
  }

  /** {@link write} up to the file in place; stops at its next step once the deadline has passed. */
  private async writeFile(request: SnapshotRequest, names: HandedNames, started: number, deadline: Deadline): Promise<string> {
    const { signal } = deadline;
    const encoder = encoderFor(request.ring, this.settings.codec);
    await request.resource?.waitForAsyncAttributes?.();
    const chunks: Buffer[] = [];
    for (const chunk of encoder.chunkBlocks()) {
      signal.throwIfAborted();
      deadline.progress();
      chunks.push(chunk);
      await yieldToEventLoop();
    }
    const blocks = this.fileBlocks(encoder, chunks, request);
    const path = await writeFileAtomically(this.fileSystem, this.settings.directory, names.next, blocks, deadline);
    // A write finished after its deadline was already reported as failed.
    signal.throwIfAborted();
    this.tell(request, started, blocks);
    return path;
  }

  /** After a write: temp files of writers that are gone, then retention. Neither can fail the snapshot, which is in place. */
  private async removeOldFiles(request: SnapshotRequest): Promise<void> {
    const { directory, retention } = this.settings;
    if (this.sweepsTempFiles()) await removeOrphanedTempFiles(directory).catch((error: unknown) => this.reportRetentionFailure(error));
    if (retention !== undefined)
      await applyRetention(directory, this.serviceFor(request), retention, this.namesInFlight).catch((error: unknown) => this.reportRetentionFailure(error));
  }

  private sweepsTempFiles(): boolean {
    const first = !this.tempFilesSwept;
    this.tempFilesSwept = true;
    return first || this.settings.retention !== undefined;
  }

  private reportingCleanupFailure(cleanup: () => unknown): void {
    try {
      cleanup();
    } catch (error) {
      this.reportRetentionFailure(error);
    }
  }

  /** The header goes first in the file but is encoded last, once the chunks have settled the counters. */
  private fileBlocks(encoder: SnapshotEncoder, chunks: readonly Buffer[], request: SnapshotRequest): Buffer[] {
    return [encoder.filePrefix(this.describe(request)), ...chunks, encoder.endBlock()];
  }

  private describe(request: SnapshotRequest): SnapshotDescription {
    return {
      service: this.serviceFor(request),
      hostname: request.origin?.hostname ?? hostname(),
      pid: request.origin?.pid ?? process.pid,
      reason: request.reason,
      createdAt: request.origin?.createdAt ?? new Date(),
      resource: request.resource?.attributes ?? {},
      producer: { name: 'ttlog', version: VERSION },
      cause: request.cause,
    };
  }

  /** File names for one write, each kept in {@link namesInFlight} until the write calls `release`. */
  private names(request: SnapshotRequest): HandedNames {
    const handed: string[] = [];
    return {
      next: () => {
        const { pid, createdAt } = request.origin ?? { pid: process.pid, createdAt: new Date() };
        const name = snapshotFileName(this.serviceFor(request), pid, createdAt, this.nextSeq++, request.reason);
        handed.push(name);
        this.namesInFlight.add(name);
        return name;
      },
      release: () => {
        for (const name of handed) this.namesInFlight.delete(name);
      },
    };
  }

  private serviceFor(request: SnapshotRequest): string {
    if (request.origin !== undefined) return request.origin.service;
    return this.settings.serviceName ?? stringAttribute(request.resource?.attributes ?? {}, 'service.name') ?? 'unknown_service';
  }

  /** The snapshot itself is written: a failed cleanup is reported, never the caller's error. */
  private reportRetentionFailure(error: unknown): void {
    diag.warn(`ttlog: removing old snapshots or left-over temp files in ${this.settings.directory} failed: ${asError(error).message}`);
  }

  private reportFailure(error: unknown, request: Pick<SnapshotRequest, 'reason'>, started: number): Error {
    const failure = asError(error);
    diag.error(`ttlog: snapshot to ${this.settings.directory} failed: ${failure.message}`);
    this.tell(request, started, [], failure);
    return failure;
  }

  /** The listener is told after the file is in place and before retention, so cleanup is not part of a snapshot's time. */
  private tell(request: Pick<SnapshotRequest, 'reason'>, started: number, blocks: readonly Buffer[], error?: Error): void {
    this.tellListener(() => {
      const seconds = (performance.now() - started) / 1000;
      const bytes = blocks.reduce((total, block) => total + block.length, 0);
      return error === undefined ? { reason: request.reason, seconds, bytes } : { reason: request.reason, seconds, bytes, error };
    });
  }

  private tellListener(outcome: () => SnapshotOutcome): void {
    const listener = this.outcomeListener;
    if (listener === undefined) return;
    try {
      listener(outcome());
    } catch (listenerError) {
      // A failing listener must not turn a written snapshot into a failed one.
      diag.warn('ttlog: recording snapshot metrics failed', listenerError);
    }
  }
}

/** The names one write was given, and how it gives them back. */
interface HandedNames {
  readonly next: NextName;
  readonly release: () => void;
}

/** Captures the ring now, before anything awaits, so the snapshot is of the moment it was asked for. */
function encoderFor(ring: RingViews, codec: ChunkCodecName): SnapshotEncoder {
  return new SnapshotEncoder(ring, captureRing(ring), codec);
}

function stringAttribute(attributes: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = attributes[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Whatever was thrown, as an `Error` for the caller's promise and `diag`. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
