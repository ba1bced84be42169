/**
 * Several producer threads writing into one ring: 1, 2 and 4 worker threads, each with its own
 * LoggerProvider and a `TTLogProcessor.attach`ed to the main thread's ring, log the same records
 * at full speed from a shared start line. Aggregate records/s is all their records over the time
 * from the first start to the last end; scaling efficiency is that rate over (threads × the
 * one-thread rate). The same runs with a no-op processor in each worker give the machine's own
 * scaling (OpenTelemetry's emit, the cores, the memory system) to read ttlog's against: on a
 * 2-core machine 4 threads cannot run at once, so the 4-thread figure shows oversubscription.
 * The typed-event rows run the same threads logging the same records through a typed event of the
 * attached processor (`processor.event(…).emit`) into a ring of their own, without the SDK.
 * Counts rotate every round. After the runs a snapshot of each shared ring is read back.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { readSnapshot, SnapshotExporter, TTLogProcessor } from '../src/index.ts';
import type { DoneMessage, RunMessage, WorkerSetup } from './concurrency-worker.ts';
import { median } from './measure.ts';
import { checkCallSiteAttributes, MESSAGE } from './record.ts';

export interface ConcurrencyPlan {
  readonly threads: readonly number[];
  readonly recordsPerThread: number;
  readonly rounds: number;
  readonly warmupRecords: number;
}

export interface ConcurrencyRow {
  readonly processor: 'ttlog' | 'event' | 'noop';
  readonly threads: number;
  /** Aggregate records/s of each round. */
  readonly samples: number[];
  readonly recordsPerSecond: number;
  /** recordsPerSecond / (threads × the one-thread median). */
  readonly efficiency: number;
  /** Process CPU time (all threads) per record, median over rounds. */
  readonly cpuNsPerRecord: number;
}

export interface ConcurrencyResult {
  readonly plan: ConcurrencyPlan;
  readonly cores: number;
  readonly rows: ConcurrencyRow[];
  readonly check: string;
}

interface Pool {
  readonly workers: Worker[];
  readonly startLine: Int32Array;
  generation: number;
}

async function startPool(size: number, handle: WorkerSetup['handle'], warmupRecords: number, typed = false): Promise<Pool> {
  const startLine = new SharedArrayBuffer(4);
  const workers: Worker[] = [];
  for (let worker = 0; worker < size; worker++) {
    const setup: WorkerSetup = { worker, handle, typed, startLine, warmupRecords };
    workers.push(
      new Worker(new URL('../spec/support/ts-worker.mjs', import.meta.url), {
        argv: [new URL('./concurrency-worker.ts', import.meta.url).href],
        workerData: setup,
      }),
    );
  }
  await Promise.all(
    workers.map(async (worker) => {
      const [message] = (await once(worker, 'message')) as [unknown];
      if (message !== 'ready') throw new Error(`worker said ${String(message)}`);
    }),
  );
  return { workers, startLine: new Int32Array(startLine), generation: 0 };
}

/** One run of `threads` workers; returns the aggregate records/s and CPU ns per record. */
async function runOnce(pool: Pool, threads: number, recordsPerThread: number, from: number): Promise<{ rate: number; cpuNs: number }> {
  const generation = ++pool.generation;
  const active = pool.workers.slice(0, threads);
  const armed = active.map((worker) => once(worker, 'message'));
  const run: RunMessage = { generation, from, count: recordsPerThread };
  for (const worker of active) worker.postMessage(run);
  await Promise.all(armed);
  const done = active.map(async (worker) => ((await once(worker, 'message')) as [DoneMessage])[0]);
  const cpuStart = process.cpuUsage();
  Atomics.store(pool.startLine, 0, generation);
  Atomics.notify(pool.startLine, 0);
  const reports = await Promise.all(done);
  const cpu = process.cpuUsage(cpuStart);
  const seconds = (Math.max(...reports.map((report) => report.endedAt)) - Math.min(...reports.map((report) => report.startedAt))) / 1000;
  const records = threads * recordsPerThread;
  return { rate: records / seconds, cpuNs: ((cpu.user + cpu.system) * 1000) / records };
}

async function closePool(pool: Pool): Promise<void> {
  await Promise.all(
    pool.workers.map((worker) => {
      const exited = once(worker, 'exit');
      worker.postMessage('close');
      return exited;
    }),
  );
}

export async function measureConcurrency(plan: ConcurrencyPlan, cores: number): Promise<ConcurrencyResult> {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-bench-'));
  const maxThreads = Math.max(...plan.threads);
  try {
    const owner = new TTLogProcessor({ exporter: new SnapshotExporter({ directory }) });
    const eventOwner = new TTLogProcessor({ exporter: new SnapshotExporter({ directory }) });
    const pools = {
      ttlog: await startPool(maxThreads, owner.handle, plan.warmupRecords),
      event: await startPool(maxThreads, eventOwner.handle, plan.warmupRecords, true),
      noop: await startPool(maxThreads, undefined, plan.warmupRecords),
    };
    const kinds = ['ttlog', 'event', 'noop'] as const;
    const samples = new Map<string, { rates: number[]; cpu: number[] }>();
    let from = plan.warmupRecords;
    for (let round = 0; round < plan.rounds; round++) {
      const order = plan.threads.map((_, k) => plan.threads[(k + round) % plan.threads.length]!);
      for (const threads of order) {
        for (const kind of kinds.map((_, k) => kinds[(k + round) % kinds.length]!)) {
          const { rate, cpuNs } = await runOnce(pools[kind], threads, plan.recordsPerThread, from);
          const key = `${kind}:${threads}`;
          const entry = samples.get(key) ?? { rates: [], cpu: [] };
          entry.rates.push(rate);
          entry.cpu.push(cpuNs);
          samples.set(key, entry);
        }
        from += plan.recordsPerThread;
      }
    }
    const check = `${await verifySharedRing(owner, maxThreads, plan)}; typed events: ${await verifySharedRing(eventOwner, maxThreads, plan)}`;
    for (const pool of Object.values(pools)) await closePool(pool);
    await owner.shutdown();
    await eventOwner.shutdown();

    const rows: ConcurrencyRow[] = [];
    for (const kind of kinds) {
      const single = median(samples.get(`${kind}:${Math.min(...plan.threads)}`)!.rates) / Math.min(...plan.threads);
      for (const threads of plan.threads) {
        const entry = samples.get(`${kind}:${threads}`)!;
        const recordsPerSecond = median(entry.rates);
        rows.push({
          processor: kind,
          threads,
          samples: entry.rates,
          recordsPerSecond,
          efficiency: recordsPerSecond / (threads * single),
          cpuNsPerRecord: median(entry.cpu),
        });
      }
    }
    return { plan, cores, rows, check };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** The shared ring must count every record the workers logged and hold the newest, whole and as logged. */
async function verifySharedRing(owner: TTLogProcessor, workers: number, plan: ConcurrencyPlan): Promise<string> {
  const logged = workers * plan.warmupRecords + plan.rounds * plan.threads.reduce((sum, threads) => sum + threads, 0) * plan.recordsPerThread;
  const stats = owner.stats();
  const path = await owner.snapshot('bench-verify');
  const { metadata, records, damage } = await readSnapshot(path);
  rmSync(path, { force: true });
  const problems: string[] = [];
  if (stats.written !== logged) problems.push(`the ring counted ${stats.written} records written, the workers logged ${logged}`);
  if (damage.length > 0) problems.push(`${damage.length} damaged parts`);
  const { written, captured, overwritten, skipped } = metadata.counters;
  if (written !== captured + overwritten + skipped) problems.push('accounting identity does not hold');
  if (records.length !== Math.min(stats.capacity, logged))
    problems.push(`${records.length} records in the snapshot, expected ${Math.min(stats.capacity, logged)}`);
  const producers = new Set<string>();
  for (const record of records) {
    producers.add(String(record.producer));
    if (record.body !== MESSAGE || checkCallSiteAttributes(record.attributes) < 0) {
      problems.push(`record seq ${record.seq} (${record.scope.name}) does not match what was logged`);
      break;
    }
  }
  if (problems.length > 0) throw new Error(`the shared ring failed its read-back: ${problems.join('; ')}`);
  return `the ring counted all ${logged.toLocaleString('en-US')} records the workers logged; its snapshot holds the newest ${records.length.toLocaleString('en-US')}, from ${producers.size} worker thread(s), all whole and as logged`;
}
