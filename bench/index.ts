/**
 * `npm run bench` / `npm run bench:quick`: ttlog against the OpenTelemetry floor, the SDK's batch
 * processor (in memory and with OTLP JSON serialization), pino, winston, bunyan and the AWS
 * Powertools logger in one process, on the same records; then single-call latency (alone and while
 * snapshots are written), several producer threads on one ring, snapshot cost against NDJSON +
 * gzip and OTLP protobuf, the memory matrix, the main thread's event-loop delay while snapshots are
 * written with the recorder thread and without, what `persist` costs and what it recovers after a
 * kill, and (full run) CPU profiles of the ttlog paths. The npm scripts preload
 * spec/support/tsx-workers.mjs so that the recorder thread runs as in a service.
 * Prints a table, writes the JSON results to bench/results/ and regenerates docs/benchmarks.md.
 * Targets are reported, never asserted; a failed read-back check (a candidate not doing its work)
 * fails the run. `--render <results.json>` regenerates docs/benchmarks.md without measuring.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureBatchBurst } from './batch-burst.ts';
import { batchCandidate, type Candidate, noopCandidate, ttlogCandidate, typedEventCandidate } from './candidates.ts';
import { type ConcurrencyPlan, measureConcurrency } from './concurrency.ts';
import { describeEnvironment } from './environment.ts';
import { type LatencyPlan, measureLatency } from './latency.ts';
import { measureThroughput, type SamplingPlan } from './measure.ts';
import { type MemoryCellPlan, type MemoryPlan, measureMemory } from './memory.ts';
import { bunyanCandidate, pinoCandidate, powertoolsCandidate, winstonCandidate } from './peers.ts';
import { measurePersist, PERSIST_PLAN, type PersistPlan } from './persist-cost.ts';
import { measureRecovery, type RecoveryPlan } from './persist-recovery.ts';
import { type ProfileSizes, profileWorkload } from './profile.ts';
import { measureRecorderDelay, RECORDER_DELAY_PLAN, type RecorderDelayPlan } from './recorder-delay.ts';
import { type BenchResults, formatConsole, renderMarkdown } from './report.ts';
import { measureSnapshots, type SnapshotPlan } from './snapshot.ts';
import { evaluateTargets } from './targets.ts';

interface Plan {
  readonly throughput: SamplingPlan;
  readonly latency: LatencyPlan;
  readonly concurrency: ConcurrencyPlan;
  readonly snapshot: SnapshotPlan;
  readonly memory: MemoryPlan;
  readonly burstRecords: number;
  readonly recorder: RecorderDelayPlan;
  readonly persist: PersistPlan;
  readonly recovery: RecoveryPlan;
  readonly profile: ProfileSizes | undefined;
}

/** The memory matrix: ring capacity × attributes per record × message size, `records` each after a warm-up of a fifth. */
function matrix(records: number): MemoryCellPlan[] {
  const cells: MemoryCellPlan[] = [];
  for (const capacity of [8192, 131_072]) {
    for (const attributes of [4, 8] as const) {
      for (const longMessage of [false, true]) cells.push({ capacity, attributes, longMessage, warmupRecords: records / 5, checkpoints: [records] });
    }
  }
  return cells;
}

const PLANS: Record<'full' | 'quick', Plan> = {
  full: {
    throughput: { warmupRecords: 50_000, rounds: 7, recordsPerSample: 100_000, yieldEvery: 1024 },
    latency: { rounds: 5, callsPerRound: 50_000, yieldEvery: 256, snapshotEveryMs: 200, snapshots: 10 },
    concurrency: { threads: [1, 2, 4], recordsPerThread: 200_000, rounds: 3, warmupRecords: 100_000 },
    snapshot: {
      sizes: [1_000_000, 100_000, 10_000],
      compareSizes: [1_000_000, 100_000, 10_000],
      maxRecordBytes: 256,
      repeats: 4,
      sampleEvery: 997,
      codecs: ['deflate', 'zstd'],
    },
    memory: {
      main: {
        capacity: 8192,
        attributes: 6,
        longMessage: false,
        warmupRecords: 1_000_000,
        checkpoints: [2_000_000, 4_000_000, 6_000_000, 8_000_000, 10_000_000],
      },
      matrix: matrix(1_000_000),
    },
    burstRecords: 10_000,
    // Fewer snapshots than `npm run bench:recorder` writes, to keep the full run short.
    recorder: { ...RECORDER_DELAY_PLAN, snapshots: { 65_536: 10, 1_048_576: 3 } },
    persist: PERSIST_PLAN,
    recovery: { trials: 6, seed: 7 },
    profile: { emitRecords: 1_000_000, snapshotRecords: 1_000_000, snapshots: 2 },
  },
  quick: {
    throughput: { warmupRecords: 20_000, rounds: 3, recordsPerSample: 40_000, yieldEvery: 1024 },
    latency: { rounds: 3, callsPerRound: 10_000, yieldEvery: 256, snapshotEveryMs: 200, snapshots: 3 },
    concurrency: { threads: [1, 2, 4], recordsPerThread: 100_000, rounds: 1, warmupRecords: 20_000 },
    snapshot: { sizes: [100_000, 10_000], compareSizes: [100_000, 10_000], maxRecordBytes: 256, repeats: 3, sampleEvery: 997, codecs: ['deflate', 'zstd'] },
    memory: {
      main: { capacity: 8192, attributes: 6, longMessage: false, warmupRecords: 200_000, checkpoints: [500_000, 1_000_000] },
      matrix: matrix(100_000),
    },
    burstRecords: 10_000,
    recorder: { ...RECORDER_DELAY_PLAN, sizes: [65_536] },
    persist: { ...PERSIST_PLAN, emit: { warmupRecords: 20_000, rounds: 3, recordsPerSample: 40_000, yieldEvery: 1024 }, ticks: 20 },
    recovery: { trials: 3, seed: 7 },
    profile: undefined,
  },
};

const resultsDir = fileURLToPath(new URL('results/', import.meta.url));
const docPath = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));

async function main(): Promise<void> {
  const mode = process.argv.includes('--quick') ? 'quick' : 'full';
  const plan = PLANS[mode];
  const started = process.hrtime.bigint();
  const environment = describeEnvironment();
  const step = (what: string): void => console.error(`[${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(0).padStart(3)} s] ${what}`);
  if ((globalThis as { gc?: unknown }).gc === undefined)
    console.error('note: started without --expose-gc; samples run without a GC in between and the heap is not measured');

  // The snapshot first, while its code is cold in this process: its first write is reported apart.
  step(`snapshot: ${plan.snapshot.sizes.join(', ')} records …`);
  const snapshots = await measureSnapshots(plan.snapshot);

  step(`throughput: ${plan.throughput.rounds} rounds × ${plan.throughput.recordsPerSample} records per candidate …`);
  const peers = async (): Promise<Candidate[]> => [
    await pinoCandidate(false),
    await pinoCandidate(true),
    winstonCandidate(),
    bunyanCandidate(),
    powertoolsCandidate(),
  ];
  const candidates: Candidate[] = [noopCandidate(), ttlogCandidate(), typedEventCandidate(), batchCandidate(false), batchCandidate(true), ...(await peers())];
  const throughput = await measureThroughput(candidates, plan.throughput);
  for (const candidate of candidates) await candidate.close();
  const burst = await measureBatchBurst(plan.burstRecords);

  step(`latency: ${plan.latency.rounds} rounds × ${plan.latency.callsPerRound} single calls per candidate …`);
  const latencyCandidates: Candidate[] = [noopCandidate(), typedEventCandidate(), batchCandidate(false), batchCandidate(true), ...(await peers())];
  const latencyRing = ttlogCandidate({ capacity: 65_536 });
  const latency = await measureLatency(latencyCandidates, latencyRing, plan.latency);
  for (const candidate of [...latencyCandidates, latencyRing]) await candidate.close();

  step(`concurrency: ${plan.concurrency.threads.join(', ')} worker threads × ${plan.concurrency.recordsPerThread} records …`);
  const concurrency = await measureConcurrency(plan.concurrency, cpus().length);

  step(`memory: ${plan.memory.main.warmupRecords + plan.memory.main.checkpoints.at(-1)!} records, then ${plan.memory.matrix.length} matrix cells …`);
  const memory = await measureMemory(plan.memory);

  step(`recorder thread: loop delay while rings of ${plan.recorder.sizes.join(', ')} records are snapshotted …`);
  const recorder = await measureRecorderDelay(plan.recorder);

  step(`persist: emit cost in ${plan.persist.emit.rounds} rounds, then ${plan.persist.ticks} persist ticks …`);
  const persist = await measurePersist(plan.persist);

  step(`persist: ${plan.recovery.trials} children killed and recovered …`);
  const recovery = await measureRecovery(plan.recovery);

  let profiles: string[] = [];
  if (plan.profile !== undefined) {
    step('profiles: emit and snapshot under the sampling profiler …');
    profiles = [await profileWorkload('emit', plan.profile), await profileWorkload('snapshot', plan.profile)];
  }

  const results: BenchResults = {
    mode,
    environment,
    loadAverageAtEnd: loadavg()[0] ?? 0,
    plan,
    throughput,
    batchBurst: burst,
    latency,
    concurrency,
    snapshots,
    memory,
    recorder,
    persist,
    recovery,
    profiles,
    targets: evaluateTargets({ throughput, latency, concurrency, snapshots, memory, recorder, persist }),
    durationSeconds: Number(process.hrtime.bigint() - started) / 1e9,
  };

  mkdirSync(resultsDir, { recursive: true });
  const resultName = `${results.environment.date.replace(/[:.]/g, '-')}-${mode}.json`;
  writeFileSync(resultsDir + resultName, JSON.stringify(results, null, 2) + '\n');
  const resultFile = `bench/results/${resultName}`;
  writeFileSync(docPath, renderMarkdown(results, resultFile));
  console.log(formatConsole(results));
  console.log(`\nresults: ${resultFile}\nreport:  docs/benchmarks.md`);
}

/** `--render <results.json>`: docs/benchmarks.md again from an earlier run's results, without measuring. */
function render(resultFile: string): void {
  const results = JSON.parse(readFileSync(resultFile, 'utf8')) as BenchResults;
  writeFileSync(docPath, renderMarkdown(results, `bench/results/${basename(resultFile)}`));
  console.log(formatConsole(results));
}

const renderIndex = process.argv.indexOf('--render');
const run = renderIndex >= 0 ? Promise.resolve().then(() => render(process.argv[renderIndex + 1] ?? '')) : main();
run.catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
