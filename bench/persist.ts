/**
 * `npm run bench:persist [rounds]`: what the `persist` option costs (README, "persist").
 * - Emit: (a) OTel emit with a no-op processor, (b) with a TTLogProcessor, (p) with a
 *   TTLogProcessor with `persist` (its recorder thread persisting every 100 ms meanwhile), in one
 *   run, as ratios to (a) per round, as bench/emit-micro.ts measures candidates. `persist` adds
 *   nothing to `onEmit`; (p)/(b) says whether the persisting work on the recorder thread shows on the emitting one.
 * - The persisting thread: one `RingPersister.tick()` after each batch of records a 100 ms tick
 *   holds at 100,000 records/s (10,000 records of the benchmark record), timed by the process's
 *   CPU clock (nothing else runs meanwhile; system calls included) and the wall clock; gives its
 *   CPU per 100,000 records/s persisted and the bytes it hands the kernel per second.
 * Writes nothing but its temp files.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SnapshotExporter, TTLogProcessor } from '../src/index.ts';
import { RingPersister } from '../src/persist/ring-persister.ts';
import { openRingBuffer } from '../src/record/ring-layout.ts';
import { loopOf, noopCandidate, otelEmitter, otelProvider, ttlogCandidate } from './candidates.ts';
import { measureThroughput, median } from './measure.ts';

const rounds = Number(process.argv[2] ?? 11);
const loadBefore = loadavg()[0]!;

// Emit cost, persist on and off.
const directory = mkdtempSync(join(tmpdir(), 'ttlog-bench-persist-'));
const persisting = ttlogCandidate({ persist: { directory, intervalMs: 100 } });
const candidates = [noopCandidate(), ttlogCandidate(), { ...persisting, id: 'p' as const, label: 'OTel emit, TTLogProcessor with persist' }];
const [floor, plain, persisted] = await measureThroughput(candidates, { warmupRecords: 50_000, rounds, recordsPerSample: 100_000, yieldEvery: 1024 });
for (const candidate of candidates) await candidate.close();
const perRound = (result: typeof plain) => median(result!.samplesNs.map((ns, round) => ns / floor!.samplesNs[round]!));
console.log(
  `emit: (a) ${floor!.medianNs.toFixed(0)} ns  (b) ${plain!.medianNs.toFixed(0)} ns  (p) ${persisted!.medianNs.toFixed(0)} ns  ` +
    `(b)/(a) ${perRound(plain).toFixed(3)}  (p)/(a) ${perRound(persisted).toFixed(3)}  (median of per-round ratios, ${rounds} rounds)`,
);

// The persisting thread's work, tick by tick, on the default ring (8192 slots of 1024 bytes).
const RECORDS_PER_TICK = 10_000;
const TICKS = 50;
const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory }), severityLane: false });
const { provider, logger } = otelProvider(processor);
const emit = loopOf(otelEmitter(logger));
const path = join(directory, 'bench.persist');
const persister = new RingPersister(openRingBuffer(processor.handle.buffer), {
  path,
  owner: {
    service: 'bench',
    hostname: 'bench',
    pid: process.pid,
    space: 'unknown',
    start: '0',
    createdAt: Date.now(),
    lock: { kind: 'path', name: '.ttlog-0000000000000000.sock' },
  },
});
const tickMs: number[] = [];
const tickCpuMs: number[] = [];
const { size: fileBytes } = statSync(path);
for (let tick = 0; tick < TICKS; tick++) {
  emit(tick * RECORDS_PER_TICK, RECORDS_PER_TICK);
  const start = performance.now();
  const cpu = process.cpuUsage();
  persister.tick();
  const used = process.cpuUsage(cpu);
  tickMs.push(performance.now() - start);
  tickCpuMs.push((used.user + used.system) / 1000);
}
const bytesPerTick = persister.bytesWritten / TICKS;
persister.close();
await provider.shutdown();
const cpuMs = median(tickCpuMs);
console.log(
  `persisting thread: ${cpuMs.toFixed(2)} ms CPU (${median(tickMs).toFixed(2)} ms wall) per tick of ${RECORDS_PER_TICK.toLocaleString('en-US')} records = ` +
    `${(cpuMs * 10).toFixed(0)} ms CPU per second (${cpuMs.toFixed(1)} % of a core) at 100,000 records/s; ` +
    `${((bytesPerTick * 10) / 2 ** 20).toFixed(0)} MiB/s handed to the page cache (the file: ${(fileBytes / 2 ** 20).toFixed(1)} MiB)`,
);
console.log(`1-minute load average ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after`);
rmSync(directory, { recursive: true, force: true });
