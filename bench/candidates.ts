/**
 * The set-ups measured against each other, all fed the same record (record.ts):
 *   (a) OpenTelemetry `logger.emit` into a no-op processor — the floor any processor sits on;
 *   (b) the same with `TTLogProcessor`;
 *   (c) the same with `BatchLogRecordProcessor` + `InMemoryLogRecordExporter`;
 *   (d) pino to /dev/null through `pino.destination('/dev/null')` — pino's default destination,
 *       asynchronous (sonic-boom, minLength 0: a write is always in flight, lines queue behind it);
 *   (d-sync) pino to /dev/null through `pino.destination({ dest, sync: true })`: one write(2) per line.
 *
 * Every candidate counts what reached its destination, so a record a queue dropped is reported as
 * dropped, never as logged.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchLogRecordProcessor, InMemoryLogRecordExporter, LoggerProvider } from '@opentelemetry/sdk-logs';
import type { Logger } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import pino from 'pino';
import { SnapshotExporter, TTLogProcessor, readSnapshot } from '../src/index.ts';
import { ID_POOL_MASK, MESSAGE, SCOPE_NAME, SCOPE_VERSION, SEVERITY_NUMBER, SEVERITY_TEXT, cacheHitOf, methodOf, pooledRequestId, requestIdOf, statusOf } from './record.ts';

export type CandidateId = 'a' | 'b' | 'c' | 'd' | 'd-sync';

export interface Candidate {
  readonly id: CandidateId;
  readonly label: string;
  /** Logs records [from, from + count), synchronously, as an application's call site would. */
  readonly run: (from: number, count: number) => void;
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
function otelLoop(logger: Logger): (from: number, count: number) => void {
  return (from, count) => {
    const end = from + count;
    for (let i = from; i < end; i++) {
      logger.emit({
        severityNumber: SEVERITY_NUMBER,
        severityText: SEVERITY_TEXT,
        body: MESSAGE,
        attributes: {
          'http.method': methodOf(i),
          'http.status_code': statusOf(i),
          'cache.hit': cacheHitOf(i),
          'request.id': pooledRequestId(i),
        },
      });
    }
  };
}

function otelProvider(processor: unknown): { provider: LoggerProvider; logger: Logger } {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'ttlog-bench' }),
    processors: [processor as never],
  });
  return { provider, logger: provider.getLogger(SCOPE_NAME, SCOPE_VERSION) };
}

const nothing = (): void => undefined;
const settled = async (): Promise<void> => undefined;

export function noopCandidate(): Candidate {
  let calls = 0;
  let taken = 0;
  const processor = {
    onEmit(): void {
      calls++;
    },
    forceFlush: settled,
    shutdown: settled,
  };
  const { provider, logger } = otelProvider(processor);
  return {
    id: 'a',
    label: 'OTel emit, no-op processor',
    run: otelLoop(logger),
    collect: nothing,
    settle: settled,
    takeDelivered: () => {
      const count = calls - taken;
      taken = calls;
      return count;
    },
    verify: async () => `onEmit was called ${calls.toLocaleString('en-US')} times`,
    close: () => provider.shutdown(),
  };
}

/** (b) with the processor's defaults (8192 records of at most 1024 bytes), as a user gets it. */
export function ttlogCandidate(): Candidate {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-bench-'));
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory }) });
  const { provider, logger } = otelProvider(processor);
  let taken = 0;
  return {
    id: 'b',
    label: 'OTel emit, TTLogProcessor',
    run: otelLoop(logger),
    collect: nothing,
    settle: settled,
    takeDelivered: () => {
      const written = processor.stats().written;
      const count = written - taken;
      taken = written;
      return count;
    },
    verify: () => verifyRing(processor),
    close: async () => {
      await provider.shutdown();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * Reads back a snapshot of the throughput ring: it must hold the newest `capacity` records, whole,
 * and their request ids must be the ones the loop logged (the pool id of each record's position).
 */
async function verifyRing(processor: TTLogProcessor): Promise<string> {
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
    // The throughput loops run over consecutive indexes from 0, so a record's seq is its index.
    const id = record.attributes['request.id'];
    if (record.body !== MESSAGE || id !== requestIdOf(record.seq & ID_POOL_MASK) || record.attributes['http.method'] !== methodOf(record.seq)) {
      problems.push(`record seq ${record.seq} does not match what was logged`);
      break;
    }
  }
  if (problems.length > 0) throw new Error(`ttlog throughput ring failed its read-back: ${problems.join('; ')}`);
  return `${records.length.toLocaleString('en-US')} of ${stats.written.toLocaleString('en-US')} records (the newest), all intact and as logged`;
}

/** (c) with the SDK's default batch settings: queue 2048, batch 512, delay 1 s. */
export function batchCandidate(): Candidate {
  const exporter = new InMemoryLogRecordExporter();
  const processor = new BatchLogRecordProcessor({ exporter });
  const { provider, logger } = otelProvider(processor);
  let delivered = 0;
  let last: { readonly body?: unknown; readonly attributes: Record<string, unknown> } | undefined;
  let lastLogged = -1;
  const loop = otelLoop(logger);
  // The in-memory exporter keeps every record; emptying it as we go keeps the heap bounded, as a
  // real exporter that sends and forgets would.
  const collect = (): void => {
    const exported = exporter.getFinishedLogRecords();
    delivered += exported.length;
    last = exported[exported.length - 1] ?? last;
    exporter.reset();
  };
  return {
    id: 'c',
    label: 'OTel emit, BatchLogRecordProcessor + InMemoryLogRecordExporter',
    run: (from, count) => {
      loop(from, count);
      lastLogged = from + count - 1;
    },
    collect,
    settle: async () => {
      await processor.forceFlush();
      collect();
    },
    takeDelivered: () => {
      const count = delivered;
      delivered = 0;
      return count;
    },
    verify: async () => {
      // After a flush the last record exported must be the last one logged, with its fields.
      const id = last?.attributes['request.id'];
      if (last === undefined || last.body !== MESSAGE || id !== requestIdOf(lastLogged & ID_POOL_MASK) || last.attributes['http.method'] !== methodOf(lastLogged)) {
        throw new Error('the batch exporter did not receive the records logged');
      }
      return `the last record exported is the last logged (request.id ${id})`;
    },
    close: () => provider.shutdown(),
  };
}

/** (d) and (d-sync): pino with the same fields, message and level. */
export async function pinoCandidate(sync: boolean): Promise<Candidate> {
  const destination = sync ? pino.destination({ dest: '/dev/null', sync: true }) : pino.destination('/dev/null');
  if (!sync) await once(destination, 'ready');
  // sonic-boom has no public accessors for these; they are what its own flush logic reads.
  const internals = destination as unknown as { _writing: boolean; _len: number };
  const logger = pino({ base: { service: 'ttlog-bench' } }, destination);
  let bytes = 0;
  let lines = 0;
  let totalBytes = 0;
  let totalLines = 0;
  destination.on('write', (count: number) => {
    bytes += count;
  });
  const run = (from: number, count: number): void => {
    const end = from + count;
    for (let i = from; i < end; i++) {
      logger.info(
        {
          'http.method': methodOf(i),
          'http.status_code': statusOf(i),
          'cache.hit': cacheHitOf(i),
          'request.id': pooledRequestId(i),
        },
        MESSAGE,
      );
    }
    lines += count;
  };
  return {
    id: sync ? 'd-sync' : 'd',
    label: sync ? 'pino → /dev/null, sync destination' : "pino → /dev/null, pino.destination('/dev/null') (async)",
    run,
    collect: nothing,
    settle: async () => {
      if (internals._writing) await once(destination, 'drain');
    },
    takeDelivered: () => {
      // pino never drops a line (no maxLength is set); a line is delivered once its bytes have
      // gone to write(2), i.e. when nothing is left buffered.
      const delivered = internals._len === 0 ? lines : 0;
      totalBytes += bytes;
      totalLines += lines;
      bytes = 0;
      lines = 0;
      return delivered;
    },
    verify: async () => {
      const perLine = totalBytes / totalLines;
      const sample = sampleLineBytes();
      if (!(Math.abs(perLine - sample) < 8)) throw new Error(`pino wrote ${perLine.toFixed(1)} bytes per line, a line is ${sample} bytes`);
      return `${totalLines.toLocaleString('en-US')} lines, ${totalBytes.toLocaleString('en-US')} bytes written to /dev/null (${perLine.toFixed(1)} bytes per line)`;
    },
    close: async () => {
      destination.end();
      if (!sync) await once(destination, 'close');
    },
  };
}

/** The length of one line as pino formats it, to check the bytes that reached /dev/null. */
function sampleLineBytes(): number {
  let length = 0;
  const probe = pino({ base: { service: 'ttlog-bench' } }, { write: (line: string) => void (length = Buffer.byteLength(line)) });
  probe.info({ 'http.method': methodOf(1), 'http.status_code': statusOf(1), 'cache.hit': cacheHitOf(1), 'request.id': requestIdOf(1) }, MESSAGE);
  return length;
}
