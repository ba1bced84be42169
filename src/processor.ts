import type { Worker } from 'node:worker_threads';
import { diag, type MeterProvider } from '@opentelemetry/api';
import { optionsFromEnvironment, PROCESSOR_VARIABLES } from './config/environment.ts';
import { checkedOptions, type OptionRule, type OptionSchema } from './config/option-check.ts';
import { PERSIST_OPTION, TRIGGER_OPTIONS } from './config/option-schemas.ts';
import { Handoff } from './handoff/handoff.ts';
import { handoffSettings } from './handoff/handoff-settings.ts';
import { SelfMetrics } from './metrics/self-metrics.ts';
import type { LogRecordLike, ResourceLike } from './otel-types.ts';
import { PersistHost } from './persist/persist-host.ts';
import { recoverDeadOwners } from './persist/persist-recovery.ts';
import { type PersistSettings, persistSettings } from './persist/persist-settings.ts';
import type { TypedEventOptions } from './record/event-declaration.ts';
import { createRingBuffer, Header, type LaneViews, openRingBuffer, type RingViews } from './record/ring-layout.ts';
import { DEFAULT_INTERNED_VALUE_LENGTH, ringSizes } from './record/ring-options.ts';
import { RingProducer } from './record/ring-producer.ts';
import { type TypedEvent, TypedEvents } from './record/typed-event.ts';
import { readWide } from './record/wide-counter.ts';
import { RecorderThread } from './recorder/recorder-thread.ts';
import { bindExporter, SnapshotExporter } from './snapshot/exporter.ts';
import type { SnapshotReason } from './snapshot/snapshot-reason.ts';
import type { SnapshotRequest, SnapshotWriter } from './snapshot/snapshot-writer.ts';
import { noTriggers, triggerSettings } from './triggers/options.ts';
import type { SnapshotCause, SnapshotTarget } from './triggers/snapshot-target.ts';
import { SnapshotTriggers } from './triggers/snapshot-triggers.ts';
import type { HandoffOptions, PersistOptions, RingHandle, RingStats, SnapshotTriggerOptions } from './types.ts';

/** Options of `new TTLogProcessor(options)`: the exporter, the ring's size, and the triggers. */
export interface TTLogProcessorOptions extends SnapshotTriggerOptions {
  /** Where snapshots go. Default: a `SnapshotExporter` with its defaults. */
  readonly exporter?: SnapshotExporter;
  /** Records the ring keeps (rounded up to a power of two). Default 8192. */
  readonly capacity?: number;
  /**
   * Bytes of record payload the ring may use; when set, `capacity` is derived from it
   * (capacityBytes / maxRecordBytes, rounded down to a power of two).
   */
  readonly capacityBytes?: number;
  /**
   * The reserve lane: records at or above `minSeverity` (default 13, WARN) go to a lane of their
   * own instead of the main ring, so a flood of DEBUG/INFO records cannot push the last warnings
   * and errors out; snapshots merge the lanes by time, and each lane has its own counters.
   * `capacity` defaults to an eighth of the main capacity (at least 64). `false` turns it off.
   * Default: on.
   */
  readonly severityLane?: false | { readonly minSeverity?: number; readonly capacity?: number };
  /** Largest encoded record (the slot size); larger records are trimmed and counted. Default 1024. */
  readonly maxRecordBytes?: number;
  /** Most interned strings. Default 4096. */
  readonly internCapacity?: number;
  /** Bytes for interned strings. Default 256 KiB. */
  readonly internBytes?: number;
  /** Longest string value (UTF-16 units) considered for interning. Default 64. */
  readonly maxInternedValueLength?: number;
  /** Where the self-metrics go (README, "Self-metrics"). Default: the global `MeterProvider`. */
  readonly meterProvider?: MeterProvider;
  /**
   * Hand records off to the OpenTelemetry pipeline through a `LogRecordExporter` (docs/handoff.md):
   * on `handoff()`, when the severity trigger fires, on SIGTERM/SIGINT capture, and crash
   * snapshots of earlier processes on the next start. Default: off.
   */
  readonly handoff?: HandoffOptions;
  /**
   * Keep a copy of the ring in a file that outlives the process (README, "persist"): records are
   * copied to it every `intervalMs` from another thread, and a later processor with `persist` and
   * the same directory turns the file of a process that died without a snapshot (SIGKILL, the OOM
   * killer, a signal) into a snapshot (reason `recovered`). With `captureCrashes`, SIGTERM and
   * SIGINT are then left to kill the process at once. Default: off.
   */
  readonly persist?: boolean | PersistOptions;
  /**
   * Write snapshots on a worker thread of the processor's own (docs/architecture.md, "The recorder
   * thread"), so that capturing and encoding the ring never blocks the event loop; the stall
   * watchdog runs there too. `false` writes them on the main thread. Crash snapshots are written
   * on the main thread either way. Default: true.
   */
  readonly recorderThread?: boolean;
}

/** Options for a processor in a worker thread that writes into another thread's ring. */
export interface AttachOptions {
  /** Lets this processor write snapshots of the shared ring too. Default: none (the owner does). */
  readonly exporter?: SnapshotExporter;
  /** Default 64, as for {@link TTLogProcessorOptions.maxInternedValueLength}. */
  readonly maxInternedValueLength?: number;
  /** Where this processor's snapshot metrics go; the ring's are the owner's. Default: this thread's global `MeterProvider`. */
  readonly meterProvider?: MeterProvider;
}

const NUMBER: OptionRule = { kinds: ['number'] };

/** What `new TTLogProcessor(options)` takes, for the constructor's check (config/option-check.ts). */
const PROCESSOR_OPTIONS = {
  ...TRIGGER_OPTIONS,
  // Anything but a SnapshotExporter is a TypeError of its own (bindExporter), not a warning.
  exporter: { kinds: ['any'] },
  capacity: NUMBER,
  capacityBytes: NUMBER,
  severityLane: { kinds: ['false', 'object'], fields: { minSeverity: NUMBER, capacity: NUMBER } },
  maxRecordBytes: NUMBER,
  internCapacity: NUMBER,
  internBytes: NUMBER,
  maxInternedValueLength: NUMBER,
  meterProvider: { kinds: ['object'] },
  handoff: {
    kinds: ['object'],
    fields: { exporter: { kinds: ['any'] }, scope: { kinds: ['string'] }, recover: { kinds: ['boolean'] }, timeoutMillis: NUMBER, maxExportBatchSize: NUMBER },
  },
  persist: PERSIST_OPTION,
  recorderThread: { kinds: ['boolean'] },
} as const satisfies OptionSchema<TTLogProcessorOptions>;

/** What `TTLogProcessor.attach(handle, options)` takes. */
const ATTACH_OPTIONS = {
  exporter: { kinds: ['any'] },
  maxInternedValueLength: NUMBER,
  meterProvider: { kinds: ['object'] },
} as const satisfies OptionSchema<AttachOptions>;

/** Carries an attached ring into the constructor without making it a public option. */
const attachedRing = Symbol('ttlog.attachedRing');
type InternalOptions = TTLogProcessorOptions & { [attachedRing]?: RingViews };

/**
 * An OpenTelemetry `LogRecordProcessor` that keeps the most recent log records in a lock-free
 * ring in shared memory and writes them to a snapshot file on demand.
 *
 * `onEmit` claims a slot with `Atomics` and encodes the record into it: no promise, timer or
 * closure per record, never blocks, never throws; when the ring is full the oldest record is
 * overwritten. Worker threads can write into the same ring through {@link TTLogProcessor.attach}.
 *
 * @example
 * const provider = new LoggerProvider({ processors: [new TTLogProcessor({ capacity: 16384 })] });
 */
export class TTLogProcessor {
  private readonly ring: RingViews;
  private readonly producer: RingProducer;
  private readonly exporter: SnapshotExporter | undefined;
  /** The exporter's file writer; every snapshot of this processor goes through it. */
  private readonly writer: SnapshotWriter | undefined;
  /** Writes this processor's non-fatal snapshots off the main thread; only a processor that owns its ring and has an exporter has one. */
  private readonly recorder: RecorderThread | undefined;
  private resource: ResourceLike | undefined;
  private isShutdown = false;
  private pendingSnapshot: Promise<string> | undefined;
  private shutdownDone: Promise<void> | undefined;
  private triggers: SnapshotTriggers | undefined;
  /** Records at or above this severityNumber reach the severity trigger; +Infinity when it is off. */
  private readonly severityThreshold: number;
  private readonly selfMetrics: SelfMetrics;
  /** Set by the `handoff` option. */
  private readonly handoffs: Handoff | undefined;
  /** The typed events declared on this processor, from the first {@link TTLogProcessor.event}. */
  private events: TypedEvents | undefined;
  /** Records the ring had taken when the last snapshot this processor wrote of it began. */
  private writtenAtLastSnapshot = 0;
  /** Set by the `persist` option: the persisted ring of this process. */
  private readonly persistence: PersistHost | undefined;
  /** Set by the `persist` option: the recovery of earlier processes' persisted rings, begun at construction. */
  private readonly persistRecovery: Promise<unknown> | undefined;

  /**
   * Options not given here come from `TTLOG_*` environment variables where set (README,
   * "Environment variables"). Unknown options and values of the wrong type are reported to
   * `diag.warn` and ignored; values out of range throw a `RangeError`.
   */
  constructor(given: TTLogProcessorOptions = {}) {
    const attached = (given as InternalOptions)[attachedRing];
    const options = attached === undefined ? resolvedOptions(given) : given;
    this.ring = attached ?? openRingBuffer(createRingBuffer(ringSizes(options)));
    this.producer = new RingProducer(this.ring, {
      maxInternedValueLength: options.maxInternedValueLength ?? DEFAULT_INTERNED_VALUE_LENGTH,
    });
    // Left out means the default exporter; anything else given, null too, must be a SnapshotExporter.
    this.exporter = attached === undefined && options.exporter === undefined ? new SnapshotExporter() : options.exporter;
    this.writer = this.exporter === undefined ? undefined : bindExporter(this.exporter, () => this.snapshot('flush'));
    if (attached === undefined && options.handoff !== undefined) this.handoffs = new Handoff(handoffSettings(options.handoff), this.ring, () => this.resource);
    const persist = attached === undefined ? this.persistSettings(options.persist) : undefined;
    if (attached === undefined && this.writer !== undefined) {
      const settings = triggerSettings(options);
      if (persist !== undefined) {
        this.persistence = startPersisting(persist, settings.crashes?.exit === true, () => writtenToRing(this.ring) === this.writtenAtLastSnapshot);
        this.persistRecovery = recoverDeadOwners(persist.directory, this.writer);
      }
      this.recorder = new RecorderThread(this.ring, this.writer, {
        writesRequests: options.recorderThread !== false,
        stallWatch: settings.watchdog,
        persist: this.persistence?.jobData,
      });
      // With `persist`, a signal death is recovered at the next start: no listener may keep a blocked process from dying.
      const crashes = persist === undefined || settings.crashes === undefined ? settings.crashes : { ...settings.crashes, signals: [] };
      if (!noTriggers(settings)) this.triggers = new SnapshotTriggers(this.triggerTarget(this.writer), { ...settings, crashes });
    }
    this.severityThreshold = this.triggers?.severity?.threshold ?? Number.POSITIVE_INFINITY;
    this.selfMetrics = new SelfMetrics({ meterProvider: options.meterProvider, ring: attached === undefined ? () => this.stats() : undefined });
    this.writer?.observe(this.selfMetrics.snapshotDone);
  }

  /**
   * A processor for a worker thread that writes into the ring behind `handle` (from the owner's
   * {@link TTLogProcessor.handle}). Its records appear in the owner's snapshots.
   */
  static attach(handle: RingHandle, options: AttachOptions = {}): TTLogProcessor {
    const ring = openRingBuffer(handle?.buffer);
    const checked = checkedOptions<AttachOptions>(options, ATTACH_OPTIONS, 'TTLogProcessor.attach(handle, options)');
    return new TTLogProcessor({ ...checked, [attachedRing]: ring } as InternalOptions);
  }

  /** Post this to a worker thread and pass it to {@link TTLogProcessor.attach} there. */
  get handle(): RingHandle {
    return { ttlogRing: 1, buffer: this.ring.buffer };
  }

  /** `LogRecordProcessor.onEmit`: records one log record. Never throws. */
  onEmit(record: LogRecordLike): void {
    if (this.isShutdown) return;
    try {
      if (this.resource === undefined) this.noteResource(record.resource);
      this.producer.write(record);
      // The severity trigger's whole per-record cost: one comparison. An absent severityNumber
      // (undefined) compares false, as does everything against +Infinity when the trigger is off.
      if ((record.severityNumber as number) >= this.severityThreshold)
        this.triggers!.severity!.hit(record.severityNumber as number, record.spanContext?.traceId);
    } catch (error) {
      this.producer.drop(error);
    }
  }

  /**
   * Declares a typed event, once, at start-up: its `emit(attributes, body?)` then writes a record
   * straight into the ring, as a record logged through the SDK with the same scope, severity,
   * event name, attributes and body would read back, at a fraction of the cost. Other processors
   * never see these records (README, "Typed events"). Throws a TypeError for a declaration it
   * cannot record (an unknown attribute type, a missing scope); `emit` never throws. After
   * `shutdown()` the events do nothing.
   *
   * @example
   * const requestDone = processor.event('http.request.done', {
   *   severity: 'INFO', scope: 'checkout', attributes: { 'http.route': 'string', 'http.status_code': 'int', duration_ms: 'double' },
   * });
   * requestDone.emit({ 'http.route': route, 'http.status_code': 200, duration_ms: 12.5 });
   */
  event(name: string, options: TypedEventOptions): TypedEvent {
    this.events ??= new TypedEvents(this.ring, this.producer);
    if (this.shutdownDone !== undefined) this.events.close();
    return this.events.declare(name, options, this.severityThreshold, (severity, traceId) => this.triggers!.severity!.hit(severity, traceId));
  }

  /**
   * Writes a snapshot of the ring (reason `flush`), unless no record was written into it since
   * the last snapshot this processor wrote of it (by `snapshot()`, a flush or a trigger):
   * frameworks flush once per request or invocation, and such a file would only repeat the last
   * one. Otherwise every flush writes, so that what was logged before it is in a file when it
   * resolves. `exporter.forceFlush()` and `snapshot()` always write. A processor attached without
   * an exporter has nothing to do. With a `handoff`, the hand-offs asked for so far and a
   * recovery of crash files in progress are waited for, and its exporter is flushed too (each
   * wait on the exporter bounded by `handoff.timeoutMillis`).
   */
  async forceFlush(): Promise<void> {
    await this.persistRecovery;
    const handoffFlushed = this.handoffs?.forceFlush();
    if (this.exporter !== undefined && !this.isShutdown && writtenToRing(this.ring) !== this.writtenAtLastSnapshot) await this.snapshot('flush');
    await handoffFlushed;
  }

  /**
   * Exports through the `handoff` exporter the records still in the ring that were not handed off
   * yet — only those of trace `traceId` (32 hex digits) when given — and resolves to how many the
   * exporter took. Each record is handed off at most once per process. Failed exports are counted
   * in `stats().handoff` and reported to `diag`; the promise rejects only for a malformed trace id
   * or a processor without a `handoff` option.
   */
  handoff(traceId?: string): Promise<number> {
    if (this.handoffs === undefined) return Promise.reject(new Error('ttlog: this processor has no handoff option'));
    try {
      return this.handoffs.handoff(traceId === undefined ? undefined : [Handoff.checkTraceId(traceId)]);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Stops recording and writes a final snapshot (reason `shutdown`); with a `handoff`, hands off
   * what is new and shuts its exporter down. Safe to call more than once.
   */
  shutdown(): Promise<void> {
    this.shutdownDone ??= this.finalSnapshot()
      .finally(() => this.handoffs?.shutdown())
      .finally(() => this.persistence?.close())
      .finally(() => this.selfMetrics.stop());
    return this.shutdownDone;
  }

  /**
   * Writes a snapshot of the ring now and resolves to the file's path. A request made while a
   * snapshot is being written shares that write.
   *
   * `reason` may be the application's own: it is stored as given in the header
   * (`metadata.reason`), appears in the file name reduced to letters, digits, `_` and `.`, and
   * counts as a routine snapshot for retention (see {@link SnapshotReason}).
   */
  snapshot(reason: SnapshotReason | (string & {}) = 'manual'): Promise<string> {
    const writer = this.writer;
    if (writer === undefined) return Promise.reject(new Error('ttlog: this processor was attached without an exporter'));
    const written = writtenToRing(this.ring);
    this.pendingSnapshot ??= this.writeInBackground(writer, { ring: this.ring, reason, resource: this.resource })
      .then((path) => this.snapshotWritten(path, written))
      .finally(() => {
        this.pendingSnapshot = undefined;
      });
    return this.pendingSnapshot;
  }

  /**
   * Writes a snapshot (reason `worker-error`, with the error as its cause) when `worker` dies of an
   * uncaught error or runs out of memory; the records it wrote into this ring (through
   * {@link TTLogProcessor.attach}) are in it. The application's own `error` listeners keep
   * working; with none, the error still crashes this thread as it would without ttlog.
   */
  watchWorker(worker: Worker): void {
    if (this.writer === undefined || this.isShutdown || this.shutdownDone !== undefined) {
      diag.warn('ttlog: watchWorker needs a processor with an exporter that is not shut down');
      return;
    }
    this.triggers ??= new SnapshotTriggers(this.triggerTarget(this.writer), triggerSettings({}));
    this.triggers.watchWorker(worker);
  }

  /** Live counts of the ring, across every thread writing into it (both lanes added up). */
  stats(): RingStats {
    const words = this.ring.words;
    const lanes = this.ring.lanes;
    const sum = (count: (lane: LaneViews) => number) => lanes.reduce((total, lane) => total + count(lane), 0);
    return {
      capacity: this.ring.slotCount,
      reserveCapacity: lanes[1]?.slotCount ?? 0,
      maxRecordBytes: this.ring.slotBytes,
      written: writtenToRing(this.ring),
      overwritten: sum((lane) => Math.max(0, readWide(words, lane.base + Header.Head) - lane.slotCount)),
      truncated: sum((lane) => readWide(words, lane.base + Header.Truncated)),
      dropped: sum((lane) => readWide(words, lane.base + Header.Dropped)),
      ...(this.handoffs === undefined ? {} : { handoff: this.handoffs.stats() }),
      ...(this.events === undefined ? {} : { typedEvents: this.events.counts() }),
      ...(this.recorder === undefined ? {} : { recorderThread: this.recorder.stats() }),
    };
  }

  private async finalSnapshot(): Promise<void> {
    this.triggers?.stop();
    if (this.exporter === undefined) {
      this.isShutdown = true;
      this.events?.close();
      return;
    }
    await this.pendingSnapshot?.catch(() => undefined);
    this.isShutdown = true;
    this.events?.close();
    try {
      await this.snapshot('shutdown');
    } finally {
      this.recorder?.stop();
      await this.exporter.shutdown();
    }
  }

  /** The first record's resource: kept for snapshot headers, and sent to the recorder thread for its stall snapshots and the persisted file. */
  private noteResource(resource: ResourceLike | undefined): void {
    this.resource = resource;
    // A global MeterProvider registered since the processor was made is in place by now.
    this.selfMetrics.connect();
    if (resource !== undefined) this.recorder?.sendResource({ ...resource.attributes });
    const writer = this.writer;
    if (writer === undefined || this.handoffs === undefined) return;
    const recover = () => this.handoffs?.recover(writer.settings.directory, writer.settings.serviceName, resource);
    // Snapshots recovered from persisted rings are crash files too: the hand-off's scan runs after them.
    if (this.persistRecovery === undefined) recover();
    else void this.persistRecovery.then(recover);
  }

  /** The `persist` settings, over the exporter's directory and service; a processor without an exporter cannot recover, so it does not persist. */
  private persistSettings(option: TTLogProcessorOptions['persist']): PersistSettings | undefined {
    const writer = this.writer;
    if (option === undefined || option === false) return undefined;
    if (writer === undefined) {
      diag.warn('ttlog: persist needs a processor with an exporter; not persisting');
      return undefined;
    }
    return persistSettings(option, writer.settings.directory, writer.settings.serviceName);
  }

  /** A non-fatal snapshot: on the recorder thread when there is one, else on this thread. */
  private writeInBackground(writer: SnapshotWriter, request: SnapshotRequest): Promise<string> {
    return (this.recorder ?? writer).write(request);
  }

  /** Notes a snapshot written of the ring as it was when `written` records had been taken; returns its path. */
  private snapshotWritten(path: string, written: number): string {
    this.writtenAtLastSnapshot = Math.max(this.writtenAtLastSnapshot, written);
    return path;
  }

  /** How triggers (src/triggers/) write snapshots of this processor's ring. */
  private triggerTarget(writer: SnapshotWriter): SnapshotTarget {
    const request = (reason: SnapshotReason, cause: SnapshotCause | undefined) => ({ ring: this.ring, reason, resource: this.resource, cause });
    return {
      writeSync: (reason, cause) => {
        const written = writtenToRing(this.ring);
        try {
          const path = this.snapshotWritten(writer.writeSync(request(reason, cause)), written);
          this.handoffs?.noteCrashFile(path);
          return path;
        } catch {
          return undefined; // reported to diag by the writer
        }
      },
      write: (reason, cause) => {
        const written = writtenToRing(this.ring);
        return this.writeInBackground(writer, request(reason, cause))
          .then((path) => this.snapshotWritten(path, written))
          .catch(() => undefined);
      },
      written: () => writtenToRing(this.ring),
      ...(this.handoffs === undefined ? {} : handoffHooks(this.handoffs)),
    };
  }
}

/** `given` checked (config/option-check.ts), over the defaults `TTLOG_*` environment variables set (config/environment.ts). */
function resolvedOptions(given: TTLogProcessorOptions): TTLogProcessorOptions {
  const checked = checkedOptions<TTLogProcessorOptions>(given, PROCESSOR_OPTIONS, 'new TTLogProcessor(options)');
  const environment = optionsFromEnvironment(PROCESSOR_VARIABLES, (fromEnvironment) => {
    ringSizes(fromEnvironment);
    triggerSettings(fromEnvironment);
  });
  return { ...environment, ...checked };
}

/** The triggers' hand-off: by trace or everything new, as `handoff.scope` says; before exit, within its time limit. */
function handoffHooks(handoffs: Handoff): Pick<SnapshotTarget, 'handoff' | 'handoffBeforeExit'> {
  return {
    handoff: (traceIds) => handoffs.handoff(handoffs.settings.scope === 'all' ? undefined : traceIds),
    handoffBeforeExit: () => handoffs.handoffWithin(handoffs.settings.timeoutMillis),
  };
}

/** Takes the lock of a persisted ring; a failure (a directory that cannot be written) is reported and leaves the processor without it. */
function startPersisting(settings: PersistSettings, exitWritesSnapshot: boolean, ringInSnapshot: () => boolean): PersistHost | undefined {
  try {
    return new PersistHost(settings, exitWritesSnapshot, ringInSnapshot);
  } catch (error) {
    diag.error(`ttlog: persisting the ring to ${settings.directory} failed to start`, error);
    return undefined;
  }
}

/** Records written into every lane of the ring. */
function writtenToRing(ring: RingViews): number {
  return ring.lanes.reduce((total, lane) => total + readWide(ring.words, lane.base + Header.Head), 0);
}
