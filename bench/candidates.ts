/**
 * The OpenTelemetry set-ups measured against each other, all fed the same records (record.ts):
 *   (a) `logger.emit` into a no-op processor — the floor any processor sits on;
 *   (b) the same with `TTLogProcessor`;
 *   (c) the same with `BatchLogRecordProcessor` + `InMemoryLogRecordExporter`;
 *   (c-json) the same batch processor with an exporter that serializes every batch to OTLP JSON
 *       (`JsonLogsSerializer`, what the OTLP/HTTP JSON exporter sends), without the network;
 *   (t) the same records as a typed event of a `TTLogProcessor` (`processor.event(…).emit`),
 *       which writes into the ring without the SDK;
 *   (h) (b) with a `handoff` exporter and the severity trigger configured (docs/handoff.md): what
 *       being ready to hand records off costs each `emit` while nothing fails.
 * The other loggers (pino, winston, bunyan, Powertools) are in peers.ts.
 *
 * Every candidate counts what reached its destination, so a record a queue dropped is reported as
 * dropped, never as logged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@opentelemetry/api-logs';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { JsonLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, InMemoryLogRecordExporter, LoggerProvider, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { readSnapshot, SnapshotExporter, TTLogProcessor, type TTLogProcessorOptions, type TypedEvent } from '../src/index.ts';
import { callSiteAttributes, checkCallSiteAttributes, ID_POOL_MASK, MESSAGE, SCOPE_NAME, SCOPE_VERSION, SEVERITY_NUMBER, SEVERITY_TEXT } from './record.ts';

export type CandidateId = 'a' | 'b' | 'c' | 'c-json' | 'd' | 'd-sync' | 'e' | 'f' | 'g' | 'h' | 'p' | 't';

export interface Candidate {
  readonly id: CandidateId;
  readonly label: string;
  /** Logs records [from, from + count), synchronously, as an application's call site would. */
  readonly run: (from: number, count: number) => void;
  /** Logs the one record `index` (the latency benchmark times this call alone). */
  readonly one: (index: number) => void;
  /** Called whenever the sampler yields to the event loop, inside the timed region. */
  readonly collect: () => void;
  /** Finishes the work of the records logged so far (queues exported, streams drained); timed. */
  readonly settle: () => Promise<void>;
  /** Records that reached the destination since the last call. */
  readonly takeDelivered: () => number;
  /** Checks that the candidate really did its work; returns a one-line description or throws. */
  readonly verify: () => Promise<string>;
  readonly close: () => Promise<void>;
}

/** The OpenTelemetry call site: one `emit` with a fresh attributes object, as application code does. */
export function otelEmitter(logger: Logger): (index: number) => void {
  return (index) => {
    logger.emit({ severityNumber: SEVERITY_NUMBER, severityText: SEVERITY_TEXT, body: MESSAGE, attributes: callSiteAttributes(index) });
  };
}

export function loopOf(one: (index: number) => void): (from: number, count: number) => void {
  return (from, count) => {
    const end = from + count;
    for (let i = from; i < end; i++) one(i);
  };
}

export function otelProvider(processor: unknown): { provider: LoggerProvider; logger: Logger } {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'ttlog-bench' }),
    processors: [processor as never],
  });
  return { provider, logger: provider.getLogger(SCOPE_NAME, SCOPE_VERSION) };
}

export const nothing = (): void => undefined;
export const settled = async (): Promise<void> => undefined;

/** A delivered-count reader over a running total. */
export function deltaOf(total: () => number): () => number {
  let taken = 0;
  return () => {
    const now = total();
    const count = now - taken;
    taken = now;
    return count;
  };
}

export function noopCandidate(): Candidate {
  let calls = 0;
  const processor = {
    onEmit(): void {
      calls++;
    },
    forceFlush: settled,
    shutdown: settled,
  };
  const { provider, logger } = otelProvider(processor);
  const one = otelEmitter(logger);
  return {
    id: 'a',
    label: 'OTel emit, no-op processor',
    run: loopOf(one),
    one,
    collect: nothing,
    settle: settled,
    takeDelivered: deltaOf(() => calls),
    verify: async () => `onEmit was called ${calls.toLocaleString('en-US')} times`,
    close: () => provider.shutdown(),
  };
}

/** (b) with the processor's defaults (8192 records of at most 1024 bytes), as a user gets it. */
export function ttlogCandidate(options: TTLogProcessorOptions = {}): Candidate & { readonly processor: TTLogProcessor } {
  return processorCandidate('b', 'OTel emit, TTLogProcessor', options, (processor) => {
    const { provider, logger } = otelProvider(processor);
    return { one: otelEmitter(logger), shutdown: () => provider.shutdown() };
  });
}

/**
 * A TTLogProcessor with `options` and a snapshot directory of its own, read back by verifyRing:
 * (b) and (t) differ only in how a record reaches it and what shuts it down (`emitting`).
 */
function processorCandidate(
  id: CandidateId,
  label: string,
  options: TTLogProcessorOptions,
  emitting: (processor: TTLogProcessor) => { one: (index: number) => void; shutdown: () => Promise<void> },
): Candidate & { readonly processor: TTLogProcessor } {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-bench-'));
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory }), ...options });
  const { one, shutdown } = emitting(processor);
  return {
    id,
    label,
    processor,
    run: loopOf(one),
    one,
    collect: nothing,
    settle: settled,
    takeDelivered: deltaOf(() => processor.stats().written),
    verify: () => verifyRing(processor),
    close: async () => {
      await shutdown();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * (h): (b) with `snapshotOnSeverity` and a `handoff` whose exporter only counts what it is given.
 * The benchmark's records are INFO, so no hand-off runs while they are timed: this is the price of
 * being ready to hand off, paid by every record.
 */
export function ttlogHandoffCandidate(): Candidate {
  let handedOff = 0;
  const exporter = {
    export(records: readonly unknown[], done: (result: ExportResult) => void): void {
      handedOff += records.length;
      done({ code: ExportResultCode.SUCCESS });
    },
    shutdown: settled,
  };
  const base = ttlogCandidate({ snapshotOnSeverity: true, handoff: { exporter, recover: false } });
  return {
    ...base,
    id: 'h',
    label: 'OTel emit, TTLogProcessor with handoff',
    verify: async () => {
      const ring = await base.verify();
      const exported = await base.processor.handoff();
      if (exported === 0 || handedOff !== exported) throw new Error(`(h): handoff() exported ${exported}, the exporter got ${handedOff}`);
      return `${ring}; no hand-off while timed, then handoff() sent ${exported.toLocaleString('en-US')} records`;
    },
  };
}

/** The benchmark record's attributes as a typed event declares them (record.ts). */
export const BENCH_EVENT_ATTRIBUTES = {
  'http.method': 'string',
  'http.route': 'string',
  'http.status_code': 'int',
  duration_ms: 'double',
  'cache.hit': 'boolean',
  'request.id': 'string',
} as const;

/** The typed-event call site: the same fresh attributes object and message as {@link otelEmitter}'s. */
export function typedEventEmitter(processor: TTLogProcessor): (index: number) => void {
  const event: TypedEvent = processor.event('bench.request', {
    severity: SEVERITY_TEXT,
    scope: { name: SCOPE_NAME, version: SCOPE_VERSION },
    attributes: BENCH_EVENT_ATTRIBUTES,
  });
  return (index) => event.emit(callSiteAttributes(index), MESSAGE);
}

/** (t): a typed event of a `TTLogProcessor` with the defaults of (b); no SDK in the way. */
export function typedEventCandidate(options: TTLogProcessorOptions = {}): Candidate & { readonly processor: TTLogProcessor } {
  return processorCandidate('t', 'typed event, TTLogProcessor.event(…).emit', options, (processor) => ({
    one: typedEventEmitter(processor),
    shutdown: () => processor.shutdown(),
  }));
}

/**
 * Reads back a snapshot of a ring filled by one loop over consecutive indexes from 0: it must hold
 * the newest `capacity` records, whole, each with the fields its position was logged with.
 */
export async function verifyRing(processor: TTLogProcessor): Promise<string> {
  const stats = processor.stats();
  const path = await processor.snapshot('bench-verify');
  const { metadata, records, damage } = await readSnapshot(path);
  rmSync(path, { force: true });
  const expected = Math.min(stats.written, stats.capacity);
  const problems: string[] = [];
  if (damage.length > 0) problems.push(`${damage.length} damaged parts`);
  if (records.length !== expected) problems.push(`${records.length} records, expected ${expected}`);
  if (stats.dropped !== 0 || stats.truncated !== 0) problems.push(`dropped ${stats.dropped}, truncated ${stats.truncated}`);
  const { written, captured, overwritten, skipped } = metadata.counters;
  if (written !== captured + overwritten + skipped) problems.push('accounting identity does not hold');
  for (const record of records) {
    // A record's seq is its index in the loop, so its pool index is the seq's low bits.
    if (record.body !== MESSAGE || checkCallSiteAttributes(record.attributes) !== (record.seq & ID_POOL_MASK)) {
      problems.push(`record seq ${record.seq} does not match what was logged`);
      break;
    }
  }
  if (problems.length > 0) throw new Error(`ttlog ring failed its read-back: ${problems.join('; ')}`);
  return `${records.length.toLocaleString('en-US')} of ${stats.written.toLocaleString('en-US')} records (the newest), all intact and as logged`;
}

/** A `LogRecordExporter` that serializes each batch to an OTLP JSON request body and keeps the last one. */
class OtlpJsonExporter implements LogRecordExporter {
  records = 0;
  bytes = 0;
  last: Uint8Array | undefined;

  export(records: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    const body = JsonLogsSerializer.serializeRequest(records);
    if (body === undefined) {
      resultCallback({ code: ExportResultCode.FAILED });
      return;
    }
    this.records += records.length;
    this.bytes += body.byteLength;
    this.last = body;
    resultCallback({ code: ExportResultCode.SUCCESS });
  }

  async shutdown(): Promise<void> {}
  async forceFlush(): Promise<void> {}
}

/** (c) and (c-json) with the SDK's default batch settings: queue 2048, batch 512, delay 1 s. */
export function batchCandidate(json: boolean): Candidate {
  const memory = new InMemoryLogRecordExporter();
  const serializing = new OtlpJsonExporter();
  const processor = new BatchLogRecordProcessor({ exporter: json ? serializing : memory });
  const { provider, logger } = otelProvider(processor);
  let delivered = 0;
  let last: { readonly body?: unknown; readonly attributes: Record<string, unknown> } | undefined;
  let lastLogged = -1;
  const one = otelEmitter(logger);
  const loop = loopOf(one);
  // The in-memory exporter keeps every record; emptying it as we go keeps the heap bounded, as a
  // real exporter that sends and forgets would.
  const collect = (): void => {
    if (json) return;
    const exported = memory.getFinishedLogRecords();
    delivered += exported.length;
    last = exported[exported.length - 1] ?? last;
    memory.reset();
  };
  const takeDelivered = json
    ? deltaOf(() => serializing.records)
    : () => {
        const count = delivered;
        delivered = 0;
        return count;
      };
  return {
    id: json ? 'c-json' : 'c',
    label: json ? 'OTel emit, BatchLogRecordProcessor + OTLP JSON serialization' : 'OTel emit, BatchLogRecordProcessor + InMemoryLogRecordExporter',
    run: (from, count) => {
      loop(from, count);
      lastLogged = from + count - 1;
    },
    one: (index) => {
      one(index);
      lastLogged = index;
    },
    collect,
    settle: async () => {
      await processor.forceFlush();
      collect();
    },
    takeDelivered,
    verify: async () => {
      if (json) last = lastOfOtlpJson(serializing.last);
      // After a flush the last record exported must be the last one logged, with its fields.
      if (last === undefined || last.body !== MESSAGE || checkCallSiteAttributes(last.attributes) !== (lastLogged & ID_POOL_MASK)) {
        throw new Error(`the batch exporter${json ? ' (OTLP JSON)' : ''} did not receive the records logged`);
      }
      const bytes = json
        ? `; ${serializing.bytes.toLocaleString('en-US')} bytes of OTLP JSON (${(serializing.bytes / serializing.records).toFixed(0)} per record)`
        : '';
      return `the last record exported is the last logged (request.id ${String(last.attributes['request.id'])})${bytes}`;
    },
    close: () => provider.shutdown(),
  };
}

type OtlpValue = { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean };

/** The last log record of an OTLP JSON request body, with its attributes as plain values. */
function lastOfOtlpJson(body: Uint8Array | undefined): { body?: unknown; attributes: Record<string, unknown> } | undefined {
  if (body === undefined) return undefined;
  const request = JSON.parse(Buffer.from(body).toString('utf8')) as {
    resourceLogs: Array<{ scopeLogs: Array<{ logRecords: Array<{ body: OtlpValue; attributes: Array<{ key: string; value: OtlpValue }> }> }> }>;
  };
  const records = request.resourceLogs.at(-1)?.scopeLogs.at(-1)?.logRecords;
  const record = records?.at(-1);
  if (record === undefined) return undefined;
  const plain = (value: OtlpValue): unknown =>
    value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : undefined) ?? value.doubleValue ?? value.boolValue;
  return { body: plain(record.body), attributes: Object.fromEntries(record.attributes.map(({ key, value }) => [key, plain(value)])) };
}
