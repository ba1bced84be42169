/**
 * `node --expose-gc --import tsx bench/handoff.ts [--errors 200] [--records 100000]`: what a hand-off
 * costs through a real `OTLPLogExporter` (http/json) to a receiver on 127.0.0.1, for the figures in
 * docs/handoff.md "Costs" (the emit cost with `handoff` configured is candidate (h) of
 * bench/emit-micro.ts):
 * 1. latency: `--errors` errors, one at a time, each in its own trace after the records that trace
 *    logged before it; from the error record's `emit` to the arrival of all of the trace's records;
 * 2. memory: a ring of `--records` records handed off by `processor.handoff()`, with the growth of
 *    heap, array buffers and RSS over the filled ring, sampled while it runs and after a gc.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import type { Logger } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { SnapshotExporter, TTLogProcessor } from '../src/index.ts';
import { median } from './measure.ts';

const { values } = parseArgs({ options: { errors: { type: 'string', default: '200' }, records: { type: 'string', default: '100000' } } });
const ERRORS = Number(values.errors);
const RECORDS = Number(values.records);
/** What a failing request logged before its error. */
const RECORDS_BEFORE_ERROR = 20;
/** The ring of the memory run: the smallest power of two that holds the default 100,000 records. */
const MEMORY_RING_CAPACITY = Math.max(131_072, 2 ** Math.ceil(Math.log2(RECORDS)));
const ARRIVAL_TIMEOUT_MS = 10_000;
const MiB = 1024 * 1024;
const collectGarbage = (globalThis as { gc?: () => void }).gc;
if (collectGarbage === undefined) throw new Error('run with node --expose-gc: the memory figures are growth after a gc');

/**
 * A receiver that only counts records per trace and keeps none: the specs' receiver keeps every
 * decoded record, which would be counted as heap growth of the hand-off it measures.
 */
async function startCountingReceiver() {
  const counts = new Map<string, number>();
  const waiting = new Map<string, { count: number; arrived: (at: number) => void }>();
  let received = 0;
  const server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      // Arrival is when the whole request is in, before its decoding, which is the receiver's cost.
      const at = performance.now();
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as {
        resourceLogs?: { scopeLogs?: { logRecords?: { traceId?: string }[] }[] }[];
      };
      for (const resourceLogs of body.resourceLogs ?? [])
        for (const scopeLogs of resourceLogs.scopeLogs ?? [])
          for (const { traceId = '' } of scopeLogs.logRecords ?? []) {
            received++;
            const count = (counts.get(traceId) ?? 0) + 1;
            counts.set(traceId, count);
            const waiter = waiting.get(traceId);
            if (waiter !== undefined && count >= waiter.count) {
              waiting.delete(traceId);
              waiter.arrived(at);
            }
          }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs`,
    received: () => received,
    /** Resolves to the arrival time (performance.now()) of the request that completed `count` records of the trace. */
    traceArrived(traceId: string, count: number): Promise<number> {
      return new Promise((arrived, failed) => {
        const timer = setTimeout(() => failed(new Error(`trace ${traceId}: ${counts.get(traceId) ?? 0} of ${count} records arrived`)), ARRIVAL_TIMEOUT_MS);
        waiting.set(traceId, {
          count,
          arrived: (at) => {
            clearTimeout(timer);
            arrived(at);
          },
        });
      });
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A processor configured as docs/handoff.md shows it, behind a real LoggerProvider, with a snapshot directory of its own. */
function startProcessor(url: string, capacity: number) {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-bench-handoff-'));
  const processor = new TTLogProcessor({
    exporter: new SnapshotExporter({ directory }),
    capacity,
    // minIntervalMs 0: each error hands off its own trace at once, rather than joining the next hand-off.
    snapshotOnSeverity: { windowMs: 0, minIntervalMs: 0 },
    handoff: { exporter: new OTLPLogExporter({ url }), recover: false },
  });
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'ttlog-bench' }), processors: [processor as never] });
  const logger = provider.getLogger('ttlog-bench-handoff', '1.0.0');
  const close = async () => {
    await provider.shutdown();
    rmSync(directory, { recursive: true, force: true });
  };
  return { processor, logger, close };
}

/** One request's records in one trace, as a service logs them. */
function logRequest(logger: Logger, traceId: string, records: number): ReturnType<typeof trace.setSpanContext> {
  const context = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId: traceId.slice(0, 16), traceFlags: TraceFlags.SAMPLED });
  for (let step = 0; step < records; step++)
    logger.emit({ severityNumber: 9, severityText: 'INFO', body: `checkout step ${step}`, attributes: { 'http.route': '/checkout', step }, context });
  return context;
}

async function measureErrorLatency(): Promise<number[]> {
  const receiver = await startCountingReceiver();
  const { logger, close } = startProcessor(receiver.url, 8192);
  const latenciesMs: number[] = [];
  for (let error = 0; error < ERRORS; error++) {
    const traceId = randomBytes(16).toString('hex');
    const context = logRequest(logger, traceId, RECORDS_BEFORE_ERROR);
    const arrival = receiver.traceArrived(traceId, RECORDS_BEFORE_ERROR + 1);
    const emittedAt = performance.now();
    logger.emit({ severityNumber: 17, severityText: 'ERROR', body: 'checkout failed', context });
    latenciesMs.push((await arrival) - emittedAt);
  }
  await close();
  await receiver.close();
  return latenciesMs;
}

async function measureHandoffMemory() {
  const receiver = await startCountingReceiver();
  const { processor, logger, close } = startProcessor(receiver.url, MEMORY_RING_CAPACITY);
  for (let logged = 0; logged < RECORDS; logged += RECORDS_BEFORE_ERROR)
    logRequest(logger, randomBytes(16).toString('hex'), Math.min(RECORDS_BEFORE_ERROR, RECORDS - logged));
  collectGarbage!();
  collectGarbage!();
  const before = process.memoryUsage();
  const peak = { ...before };
  // The hand-off yields between batches, so the interval sees the loop between them.
  const sampleMemory = () => {
    const now = process.memoryUsage();
    peak.heapUsed = Math.max(peak.heapUsed, now.heapUsed);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, now.arrayBuffers);
    peak.rss = Math.max(peak.rss, now.rss);
  };
  const sampler = setInterval(sampleMemory, 5);
  const startedAt = performance.now();
  const exported = await processor.handoff();
  const durationMs = performance.now() - startedAt;
  clearInterval(sampler);
  sampleMemory();
  collectGarbage!();
  const after = process.memoryUsage();
  const result = { durationMs, exported, received: receiver.received(), failed: processor.stats().handoff?.failed ?? 0, before, peak, after };
  await close();
  await receiver.close();
  return result;
}

const mib = (bytes: number) => `${bytes >= 0 ? '+' : ''}${(bytes / MiB).toFixed(1)} MiB`;
/** Nearest-rank percentile. */
const percentile = (values: readonly number[], p: number) => [...values].sort((x, y) => x - y)[Math.max(0, Math.ceil((p / 100) * values.length) - 1)]!;

const loadBefore = loadavg()[0]!;
const latenciesMs = await measureErrorLatency();
console.log(
  `error record → its trace's ${RECORDS_BEFORE_ERROR + 1} records at the receiver, ${ERRORS} errors: ` +
    `median ${median(latenciesMs).toFixed(1)} ms, p99 ${percentile(latenciesMs, 99).toFixed(1)} ms, max ${Math.max(...latenciesMs).toFixed(1)} ms`,
);
const memory = await measureHandoffMemory();
const grown = (key: 'heapUsed' | 'arrayBuffers' | 'rss', to: NodeJS.MemoryUsage) => mib(to[key] - memory.before[key]);
console.log(
  `handoff() of ${RECORDS.toLocaleString('en-US')} records (ring of ${MEMORY_RING_CAPACITY.toLocaleString('en-US')} slots): ` +
    `${(memory.durationMs / 1000).toFixed(2)} s, exported ${memory.exported}, received ${memory.received}, failed ${memory.failed}`,
);
console.log(
  `  peak over the filled ring: heap ${grown('heapUsed', memory.peak)}, array buffers ${grown('arrayBuffers', memory.peak)}, RSS ${grown('rss', memory.peak)}`,
);
console.log(
  `  after, with gc:            heap ${grown('heapUsed', memory.after)}, array buffers ${grown('arrayBuffers', memory.after)}, RSS ${grown('rss', memory.after)}`,
);
console.log(`Node ${process.version}; 1-minute load average ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after`);
