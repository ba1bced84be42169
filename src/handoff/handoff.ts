/**
 * One processor's hand-off: records of its ring leave through the hand-off exporter, each at most
 * once per process, and crash snapshots of earlier processes follow (crash-recovery.ts).
 *
 * Hand-offs run one after another (one export in flight), each from a fresh capture of the ring
 * (ring-selection.ts). Two states of the ring's tickets are kept (handed-off-tickets.ts): `taken`,
 * the records a hand-off has picked, which no later one picks again, whatever became of their
 * export; and `delivered`, the records the exporter accepted, which a crash snapshot's marker
 * carries so the next start sends the rest of the file and not these.
 *
 * Nothing here throws into a caller that logs: failures are counted ({@link Handoff.stats}) and
 * reported through `diag`, rate-limited.
 */

import type { ReadableLogRecordLike, ResourceLike } from '../otel-types.ts';
import { openSnapshot } from '../read/reader.ts';
import { type RingViews, ringId } from '../record/ring-layout.ts';
import type { HandoffStats } from '../types.ts';
import { recoverCrashFiles } from './crash-recovery.ts';
import { ExportQueue } from './export-call.ts';
import { exportRecords } from './export-records.ts';
import { FailureReport } from './failure-report.ts';
import { HandedOffTickets } from './handed-off-tickets.ts';
import { writeMarker, writeMarkerSync } from './handoff-marker.ts';
import type { HandoffSettings } from './handoff-settings.ts';
import { ReadableRecords } from './readable-records.ts';
import { ringWindow, selectFromRing } from './ring-selection.ts';
import { settleWithin } from './time-limit.ts';

const TRACE_ID = /^[0-9a-f]{32}$/;
/** Crash snapshots of this process whose markers follow later hand-offs; a process writes very few. */
const MAX_MARKED_FILES = 16;

/**
 * A crash snapshot of this process whose marker follows later hand-offs, while any of its records
 * may still be in the ring. Per lane: `from`, a ticket at or below the file's first (its window
 * could have started up to a ring's length before the window when it was noted), and `end`, the
 * tickets written when it was noted (the file holds none at or above).
 */
interface MarkedFile {
  readonly path: string;
  readonly from: readonly number[];
  readonly end: readonly number[];
}

/**
 * The hand-off of one processor's ring (see the top of this file): live hand-offs, the marking of
 * this process's crash snapshots, and the recovery of earlier processes' ones.
 */
export class Handoff {
  /** The checked `handoff` option this hand-off runs with. */
  readonly settings: HandoffSettings;
  private readonly taken: HandedOffTickets;
  private readonly delivered: HandedOffTickets;
  private readonly report = new FailureReport();
  private readonly exports: ExportQueue;
  private readonly counts = { exported: 0, failed: 0, recoveredFiles: 0, failedFiles: 0 };
  /** The hand-off in flight, or the last one: the next waits for it. */
  private queue: Promise<unknown> = Promise.resolve();
  private recovery: Promise<void> | undefined;
  private readonly crashFiles: MarkedFile[] = [];
  private stopped = false;

  constructor(
    settings: HandoffSettings,
    private readonly ring: RingViews,
    /** The resource of the ring's records (the processor's first record's), once known. */
    private readonly resource: () => ResourceLike | undefined,
  ) {
    this.settings = settings;
    this.exports = new ExportQueue(settings.exporter, settings.timeoutMillis);
    this.taken = new HandedOffTickets(ring.lanes.length);
    this.delivered = new HandedOffTickets(ring.lanes.length);
  }

  /**
   * Exports the records not handed off yet — of the traces in `traceIds` (hex) when given — and
   * resolves to how many the exporter took. Never rejects.
   */
  handoff(traceIds?: readonly string[]): Promise<number> {
    const wanted = traceIds === undefined ? undefined : new Set(traceIds.map((id) => id.toLowerCase()).filter((id) => TRACE_ID.test(id)));
    const run = this.queue.then(() => this.handoffNow(wanted));
    this.queue = run;
    return run;
  }

  /** A trace id as `handoff(traceId)` takes it: 32 hex digits, else a `RangeError`. */
  static checkTraceId(traceId: unknown): string {
    if (typeof traceId !== 'string' || !TRACE_ID.test(traceId.toLowerCase())) {
      throw new RangeError(`ttlog: handoff(traceId) takes a trace id of 32 hex digits, got ${String(traceId)}`);
    }
    return traceId.toLowerCase();
  }

  /**
   * A crash snapshot of this ring was written: its marker records what is already delivered, so
   * the next start sends only the rest. Synchronous, for crash paths. Never throws.
   */
  noteCrashFile(path: string): void {
    try {
      writeMarkerSync(path, this.liveMarker());
      if (this.crashFiles.length < MAX_MARKED_FILES) {
        const { start, written } = ringWindow(this.ring);
        const from = start.map((ticket, lane) => Math.max(0, ticket - this.ring.lanes[lane]!.slotCount));
        this.crashFiles.push({ path, from, end: written });
      }
    } catch (error) {
      this.report.failed(`marking ${path} for hand-off`, error as Error);
    }
  }

  /**
   * Hands off the crash snapshots of earlier processes in `directory` (once per processor), in
   * the background.
   */
  recover(directory: string, serviceName: string | undefined, resource: ResourceLike | undefined): void {
    if (!this.settings.recover || this.recovery !== undefined) return;
    // The name the snapshot writer gives this service's files (snapshot-writer.ts).
    const named = resource?.attributes['service.name'];
    const service = serviceName ?? (typeof named === 'string' && named !== '' ? named : 'unknown_service');
    const request = {
      directory,
      service,
      ownRing: ringId(this.ring).toString('hex'),
      settings: this.settings,
      report: this.report,
      send: (records: ReadableLogRecordLike[]) => this.exports.send(records),
      stopped: () => this.stopped,
    };
    // Off the start-up path: the directory is read once the event loop has turned.
    this.recovery = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => recoverCrashFiles(request))
      .then(
        (outcome) => {
          this.counts.recoveredFiles += outcome.files;
          this.counts.failedFiles += outcome.failedFiles;
          this.counts.exported += outcome.exported;
          this.counts.failed += outcome.lost;
        },
        (error: unknown) => this.report.failed(`handing off the crash snapshots in ${directory}`, error as Error),
      );
  }

  /** {@link handoff} of everything new, settled within `timeoutMillis` whether or not it is done. */
  handoffWithin(timeoutMillis: number): Promise<unknown> {
    return settleWithin(this.handoff(), timeoutMillis);
  }

  /** The counts so far, as `stats().handoff` reports them. */
  stats(): HandoffStats {
    return { ...this.counts };
  }

  /**
   * Waits for what is on its way to the exporter — the hand-offs asked for so far and a recovery
   * of crash files in progress, each export bounded by `timeoutMillis` — then flushes the
   * exporter, for at most `timeoutMillis`. A process about to be frozen (a serverless function
   * after its invocation) or to exit flushes so that what it started is not left half done.
   */
  async forceFlush(): Promise<void> {
    await this.recovery;
    await this.queue;
    await this.exports.idle();
    const { exporter, timeoutMillis } = this.settings;
    if (exporter.forceFlush !== undefined)
      await settleWithin(
        Promise.resolve().then(() => exporter.forceFlush!()),
        timeoutMillis,
      );
  }

  /**
   * A last hand-off of everything new (a recovery stops before its next batch, and later
   * hand-offs export nothing), then the exporter's shutdown once its exports are done. Each of the
   * two waits at most `timeoutMillis`: an exporter that never answers cannot hold shutdown up.
   */
  async shutdown(): Promise<void> {
    const drained = this.handoff().then(async () => {
      this.stopped = true;
      await this.recovery;
      await this.queue;
      await this.exports.idle();
    });
    await settleWithin(drained, this.settings.timeoutMillis);
    this.stopped = true;
    const { exporter } = this.settings;
    await settleWithin(
      Promise.resolve().then(() => exporter.shutdown()),
      this.settings.timeoutMillis,
    );
  }

  private async handoffNow(traceIds: ReadonlySet<string> | undefined): Promise<number> {
    const resource = this.resource();
    if (this.stopped || resource === undefined || traceIds?.size === 0) return 0;
    this.forgetPassedTickets();
    const selection = selectFromRing(this.ring, this.taken, traceIds);
    if (selection === undefined) return 0;
    let exported = 0;
    try {
      const reader = await openSnapshot(await selection.encode());
      const outcome = await exportRecords(reader.chunks({ maxRecords: this.settings.maxExportBatchSize }), {
        send: (records) => this.exports.send(records),
        builder: new ReadableRecords(ReadableRecords.liveResource(resource)),
        total: selection.records,
        exported: (batch) => {
          for (const record of batch) this.delivered.add(record.lane ?? 0, record.seq);
        },
      });
      exported = outcome.exported;
      this.counts.exported += outcome.exported;
      this.counts.failed += outcome.failed;
      if (outcome.error !== undefined) this.report.failed('handing off records', outcome.error);
    } catch (error) {
      this.counts.failed += selection.records - exported;
      this.report.failed('handing off records', error as Error);
    }
    await this.updateCrashMarkers();
    return exported;
  }

  /**
   * Keeps `delivered` bounded: a ticket that has left the ring's window is in no crash snapshot
   * written from now on, so only the crash snapshots already written need it — and only those
   * whose records may still be handed off (some still in the ring); the others' markers are
   * final and no longer followed.
   */
  private forgetPassedTickets(): void {
    const { start } = ringWindow(this.ring);
    for (let i = this.crashFiles.length - 1; i >= 0; i--) {
      if (this.crashFiles[i]!.end.every((end, lane) => end <= start[lane]!)) this.crashFiles.splice(i, 1);
    }
    for (const [lane, ticket] of start.entries()) {
      const needed = this.crashFiles.reduce((lowest, file) => Math.min(lowest, file.from[lane] ?? 0), ticket);
      this.delivered.raise(lane, needed);
    }
  }

  /** This process's crash snapshots: their markers follow what has been delivered since. */
  private async updateCrashMarkers(): Promise<void> {
    for (const { path } of this.crashFiles) await writeMarker(path, this.liveMarker()).catch(() => undefined);
  }

  private liveMarker() {
    return { done: false, read: 0, ring: ringId(this.ring).toString('hex'), lanes: this.delivered.lanes() };
  }
}
