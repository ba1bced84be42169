/**
 * What the `persist` option costs (README, "persist"):
 * - Emit: (a) OTel emit with a no-op processor, (b) with a TTLogProcessor, (p) with a
 *   TTLogProcessor with `persist` (its recorder thread persisting every 100 ms meanwhile), in one
 *   run, as ratios to (a) per round, as the throughput section measures candidates. `persist` adds
 *   nothing to `onEmit`; (p)/(b) says whether the persisting work on the recorder thread shows on
 *   the emitting one. CPU time is the whole process's, so (p) also pays for the persisting thread.
 * - The persisting thread: one `RingPersister.tick()` after each batch of records a 100 ms tick
 *   holds at 100,000 records/s (10,000 records of the benchmark record), timed by the process's
 *   CPU clock (nothing else runs meanwhile; system calls included) and the wall clock; gives its
 *   CPU per 100,000 records/s persisted and the bytes it hands the kernel per second.
 * Writes nothing but its temp files.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SnapshotExporter, TTLogProcessor } from '../src/index.ts';
import { RingPersister } from '../src/persist/ring-persister.ts';
import { openRingBuffer } from '../src/record/ring-layout.ts';
import { loopOf, noopCandidate, otelEmitter, otelProvider, ttlogCandidate } from './candidates.ts';
import { measureThroughput, median, type SamplingPlan, type ThroughputResult } from './measure.ts';

export interface PersistPlan {
  readonly emit: SamplingPlan;
  /** Persist ticks timed, each after `recordsPerTick` new records. */
  readonly ticks: number;
  /** Records between two ticks: a 100 ms tick at 100,000 records/s. */
  readonly recordsPerTick: number;
  /** `persist.intervalMs` of the (p) candidate. */
  readonly intervalMs: number;
}

export interface PersistResult {
  readonly plan: PersistPlan;
  /** (a), (b) and (p), in that order, with ratios to (a) and (b) per round. */
  readonly emit: ThroughputResult[];
  /** Medians over the ticks. */
  readonly tickCpuMs: number;
  readonly tickWallMs: number;
  /** CPU ms per second of the persisting thread at 100,000 records/s (so also its share of a core, in thousandths). */
  readonly cpuMsPerSecondAt100k: number;
  /** Bytes handed to the kernel per second at 100,000 records/s. */
  readonly bytesPerSecondAt100k: number;
  readonly fileBytes: number;
}

/** The default plan of `npm run bench:persist`. */
export const PERSIST_PLAN: PersistPlan = {
  emit: { warmupRecords: 50_000, rounds: 11, recordsPerSample: 100_000, yieldEvery: 1024 },
  ticks: 50,
  recordsPerTick: 10_000,
  intervalMs: 100,
};

/** The emit cost with `persist` on and off, then the persisting thread's work tick by tick. */
export async function measurePersist(plan: PersistPlan): Promise<PersistResult> {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-bench-persist-'));
  try {
    const persisting = ttlogCandidate({ persist: { directory, intervalMs: plan.intervalMs } });
    const candidates = [noopCandidate(), ttlogCandidate(), { ...persisting, id: 'p' as const, label: 'OTel emit, TTLogProcessor with persist' }];
    const emit = await measureThroughput(candidates, plan.emit);
    for (const candidate of candidates) await candidate.close();
    return { plan, emit, ...(await measureTicks(directory, plan)) };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** The persisting thread's work, tick by tick, on the default ring (8192 slots of 1024 bytes), run here on the main thread to time it alone. */
async function measureTicks(directory: string, plan: PersistPlan): Promise<Omit<PersistResult, 'plan' | 'emit'>> {
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
  for (let tick = 0; tick < plan.ticks; tick++) {
    emit(tick * plan.recordsPerTick, plan.recordsPerTick);
    const start = performance.now();
    const cpu = process.cpuUsage();
    persister.tick();
    const used = process.cpuUsage(cpu);
    tickMs.push(performance.now() - start);
    tickCpuMs.push((used.user + used.system) / 1000);
  }
  const ticksPerSecond = 100_000 / plan.recordsPerTick;
  const bytesPerTick = persister.bytesWritten / plan.ticks;
  persister.close();
  await provider.shutdown();
  const cpuMs = median(tickCpuMs);
  return {
    tickCpuMs: cpuMs,
    tickWallMs: median(tickMs),
    cpuMsPerSecondAt100k: cpuMs * ticksPerSecond,
    bytesPerSecondAt100k: bytesPerTick * ticksPerSecond,
    fileBytes,
  };
}
