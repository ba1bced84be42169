/**
 * What crash capture and the stall watchdog cost (docs/crash-capture.md, "Costs"):
 * - the synchronous crash snapshot (`SnapshotWriter.writeSync`, the path every fatal trigger takes) of a
 *   full ring of the default size, and of a ring holding 1M records;
 * - the watchdog's per-record cost (emit with and without it) and its idle cost (CPU time of the
 *   whole process, all threads, while nothing happens).
 *
 * Run: node --import tsx --import ./spec/support/tsx-workers.mjs bench/crash-cost.ts [--quick]
 * (the second preload lets the watchdog's worker thread load the TypeScript sources on Node 20).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { SnapshotExporter, TTLogProcessor, type TTLogProcessorOptions } from '../src/index.ts';
import { openRingBuffer } from '../src/record/ring-layout.ts';
import { SnapshotWriter } from '../src/snapshot/snapshot-writer.ts';
import { attributesOf, MESSAGE, pooledRequestId, SCOPE_NAME, SCOPE_VERSION, SEVERITY_NUMBER, SEVERITY_TEXT } from './record.ts';

const quick = process.argv.includes('--quick');
/** Both runs wait this long before measuring: the recorder thread's start-up (loading modules) is not what is measured. */
const STARTUP_MS = 2000;
const directory = mkdtempSync(join(tmpdir(), 'ttlog-crash-cost-'));

function setup(options: TTLogProcessorOptions) {
  const exporter = new SnapshotExporter({ directory, serviceName: 'crash-cost' });
  const processor = new TTLogProcessor({ ...options, exporter });
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'crash-cost' }), processors: [processor] });
  return { exporter, processor, provider, logger: provider.getLogger(SCOPE_NAME, SCOPE_VERSION) };
}

function fill(logger: ReturnType<typeof setup>['logger'], count: number, start = 0): void {
  for (let i = start; i < start + count; i++) {
    const attributes = attributesOf(i & 0xff);
    attributes['request.id'] = pooledRequestId(i);
    logger.emit({ severityNumber: SEVERITY_NUMBER, severityText: SEVERITY_TEXT, body: MESSAGE, attributes });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function syncSnapshotCost(label: string, options: TTLogProcessorOptions, records: number, runs: number) {
  const { processor, provider, logger } = setup(options);
  fill(logger, records);
  const ring = openRingBuffer(processor.handle.buffer);
  const writer = new SnapshotWriter({ directory, serviceName: 'crash-cost' });
  const times: number[] = [];
  let bytes = 0;
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    const path = writer.writeSync({ ring, reason: 'exit', cause: { exitCode: 1 } });
    times.push(performance.now() - start);
    bytes = statSync(path).size;
    rmSync(path);
  }
  const held = Math.min(records, processor.stats().capacity);
  // The first run is the one a crash gets: nothing of the snapshot path has been compiled yet.
  const warm = times.length > 1 ? `, then median ${median(times.slice(1)).toFixed(1)} ms warm` : '';
  console.log(
    `${label}: ${held} records, sync snapshot ${times[0]!.toFixed(1)} ms cold${warm} (runs: ${times.map((t) => t.toFixed(0)).join(', ')}), ${bytes} bytes (${(bytes / held).toFixed(1)} B/record)`,
  );
  await processor.shutdown().catch(() => undefined);
  await provider.shutdown().catch(() => undefined);
}

async function emitCost(watchdog: boolean, records: number): Promise<number> {
  const { processor, provider, logger } = setup({ watchdog: watchdog ? { thresholdMs: 5000 } : false });
  await sleep(STARTUP_MS);
  fill(logger, 50_000); // warm up
  const start = performance.now();
  fill(logger, records, 50_000);
  const nsPerRecord = ((performance.now() - start) * 1e6) / records;
  await processor.shutdown();
  await provider.shutdown();
  return nsPerRecord;
}

async function idleCpu(watchdog: boolean, ms: number): Promise<number> {
  const { processor, provider } = setup({ watchdog });
  await sleep(STARTUP_MS);
  const before = process.cpuUsage();
  await sleep(ms);
  const used = process.cpuUsage(before);
  await processor.shutdown();
  await provider.shutdown();
  return (used.user + used.system) / 1000;
}

console.log(
  `node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, load average ${loadavg()[0]!.toFixed(2)}, ${quick ? 'quick run' : 'full run'}`,
);
await syncSnapshotCost('default ring (8192 × 1 KiB slots), full', {}, 16_384, quick ? 3 : 7);
await syncSnapshotCost('1M records (2^20 × 256 B slots)', { capacity: 1 << 20, maxRecordBytes: 256 }, 1 << 20, quick ? 1 : 3);

const perRecord = { off: [] as number[], on: [] as number[] };
for (let round = 0; round < (quick ? 2 : 5); round++) {
  perRecord.off.push(await emitCost(false, 500_000));
  perRecord.on.push(await emitCost(true, 500_000));
}
console.log(`emit per record: watchdog off median ${median(perRecord.off).toFixed(0)} ns, on ${median(perRecord.on).toFixed(0)} ns`);

const idleMs = quick ? 2000 : 10_000;
const off = await idleCpu(false, idleMs);
const on = await idleCpu(true, idleMs);
console.log(
  `idle CPU over ${idleMs} ms (whole process): watchdog off ${off.toFixed(1)} ms, on ${on.toFixed(1)} ms (${(((on - off) / idleMs) * 100).toFixed(3)} % of one core)`,
);

rmSync(directory, { recursive: true, force: true });
