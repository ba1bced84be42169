/**
 * `npm run bench` / `npm run bench:quick`: ttlog against the OpenTelemetry floor, the SDK's batch
 * processor and pino in one process, then snapshot cost and heap growth. Prints a table, writes
 * the JSON results to bench/results/ and regenerates docs/benchmarks.md. Targets are reported,
 * never asserted; a failed read-back check (a candidate not doing its work) fails the run.
 * `--render <results.json>` regenerates docs/benchmarks.md from an earlier run without measuring.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureBatchBurst } from './batch-burst.ts';
import { batchCandidate, noopCandidate, pinoCandidate, ttlogCandidate, type Candidate } from './candidates.ts';
import { describeEnvironment } from './environment.ts';
import { measureThroughput, type SamplingPlan } from './measure.ts';
import { measureMemory } from './memory.ts';
import { formatConsole, renderMarkdown, type BenchResults } from './report.ts';
import { measureSnapshot, type SnapshotPlan } from './snapshot.ts';
import { evaluateTargets } from './targets.ts';

interface Plan {
  readonly throughput: SamplingPlan;
  readonly snapshot: SnapshotPlan;
  readonly memoryCheckpoints: readonly number[];
  readonly burstRecords: number;
}

const PLANS: Record<'full' | 'quick', Plan> = {
  full: {
    throughput: { warmupRecords: 100_000, rounds: 7, recordsPerSample: 200_000, yieldEvery: 1024 },
    snapshot: { records: 1_000_000, capacity: 1_048_576, maxRecordBytes: 256, repeats: 4, sampleEvery: 997 },
    memoryCheckpoints: [1_000_000, 2_000_000, 4_000_000, 6_000_000, 8_000_000, 10_000_000],
    burstRecords: 10_000,
  },
  quick: {
    throughput: { warmupRecords: 20_000, rounds: 5, recordsPerSample: 50_000, yieldEvery: 1024 },
    snapshot: { records: 1_000_000, capacity: 1_048_576, maxRecordBytes: 256, repeats: 3, sampleEvery: 997 },
    memoryCheckpoints: [1_000_000, 2_000_000],
    burstRecords: 10_000,
  },
};

const resultsDir = fileURLToPath(new URL('results/', import.meta.url));
const docPath = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));

async function main(): Promise<void> {
  const mode = process.argv.includes('--quick') ? 'quick' : 'full';
  const plan = PLANS[mode];
  const started = process.hrtime.bigint();
  const environment = describeEnvironment();
  if ((globalThis as { gc?: unknown }).gc === undefined) console.error('note: started without --expose-gc; samples run without a GC in between and the heap is not measured');

  // The snapshot first, while its code is cold in this process: its first write is reported apart.
  console.error(`snapshot: ${plan.snapshot.records} records …`);
  const snapshot = await measureSnapshot(plan.snapshot);

  console.error(`throughput: ${plan.throughput.rounds} rounds × ${plan.throughput.recordsPerSample} records per candidate …`);
  const candidates: Candidate[] = [noopCandidate(), ttlogCandidate(), batchCandidate(), await pinoCandidate(false), await pinoCandidate(true)];
  const throughput = await measureThroughput(candidates, plan.throughput);
  for (const candidate of candidates) await candidate.close();
  const burst = await measureBatchBurst(plan.burstRecords);

  console.error(`heap: up to ${plan.memoryCheckpoints[plan.memoryCheckpoints.length - 1]} records …`);
  const memory = await measureMemory({ checkpoints: plan.memoryCheckpoints });

  const results: BenchResults = {
    mode,
    environment,
    loadAverageAtEnd: loadavg()[0] ?? 0,
    plan: { throughput: plan.throughput, snapshot: plan.snapshot, memoryCheckpoints: plan.memoryCheckpoints },
    throughput,
    batchBurst: burst,
    snapshot,
    memory,
    targets: evaluateTargets(throughput, snapshot, memory),
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
