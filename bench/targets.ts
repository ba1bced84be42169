/**
 * The targets of the benchmark issue, measured against — never asserted. Each outcome says
 * whether it was met and by how much, so a miss is reported with its size, not hidden.
 */
import type { ConcurrencyResult } from './concurrency.ts';
import type { LatencyResult } from './latency.ts';
import type { ThroughputResult } from './measure.ts';
import type { MemoryResult } from './memory.ts';
import type { PersistResult } from './persist-cost.ts';
import type { RecorderDelayResult } from './recorder-delay.ts';
import type { SnapshotResult } from './snapshot.ts';

export interface TargetOutcome {
  readonly target: string;
  readonly measured: string;
  /** Undefined when this run could not measure it (for example without --expose-gc). */
  readonly met: boolean | undefined;
  readonly margin: string;
}

export const HEAP_GROWTH_LIMIT = 2 * 1024 * 1024;
export const SNAPSHOT_TARGET_RECORDS = 1_000_000;

export interface TargetInputs {
  readonly throughput: readonly ThroughputResult[];
  readonly latency: LatencyResult;
  readonly concurrency: ConcurrencyResult;
  readonly snapshots: readonly SnapshotResult[];
  readonly memory: MemoryResult;
  readonly recorder: RecorderDelayResult;
  readonly persist: PersistResult;
}

/** Loop delay limit while the largest ring is snapshotted with the recorder thread. */
export const RECORDER_LOOP_MAX_MS = 5;
/** Emit with `persist` against without it, wall time in the same rounds: producers pay nothing for it, within the noise of a shared machine. */
export const PERSIST_EMIT_LIMIT = 1.05;

/** The recorder thread (README, `recorderThread`) and `persist` (README, "persist"). */
function recorderTargets(recorder: RecorderDelayResult, persist: PersistResult): TargetOutcome[] {
  const largest = Math.max(...recorder.rows.map((row) => row.records));
  const threaded = recorder.rows.find((row) => row.records === largest && row.mode === 'recorder thread');
  const mainThread = recorder.rows.find((row) => row.records === largest && row.mode === 'main thread');
  const atSize = largest >= SNAPSHOT_TARGET_RECORDS ? '' : ` (at ${largest.toLocaleString('en-US')} records, not 1M)`;
  const persisted = persist.emit.find((result) => result.id === 'p');
  const plain = persist.emit.find((result) => result.id === 'b');
  const outcomes: TargetOutcome[] = [];
  if (threaded !== undefined) {
    const delay = atMost(
      `event-loop delay ≤ ${RECORDER_LOOP_MAX_MS} ms at max while a 1M-record ring is snapshotted (recorder thread, main thread emitting)${atSize}`,
      threaded.during.loopMaxMs,
      RECORDER_LOOP_MAX_MS,
      (value) => `${value.toFixed(1)} ms`,
    );
    outcomes.push({
      ...delay,
      measured: `${delay.measured} (with \`recorderThread: false\`: ${mainThread === undefined ? '–' : `${mainThread.during.loopMaxMs.toFixed(1)} ms`}; no snapshot: ${threaded.floor.loopMaxMs.toFixed(1)} ms)`,
      ...(atSize === '' ? {} : { met: undefined, margin: 'not judged: run `npm run bench` for the 1M-record ring' }),
    });
    const emit = atMost(
      `emit p99 during those snapshots no worse than without them (recorder thread)${atSize}`,
      threaded.during.emitP99Us / threaded.floor.emitP99Us,
      1,
      (value) => `${value.toFixed(2)} ×`,
    );
    outcomes.push({
      ...emit,
      measured: `${threaded.during.emitP99Us.toFixed(2)} µs against ${threaded.floor.emitP99Us.toFixed(2)} µs (${emit.measured})`,
      ...(atSize === '' ? {} : { met: undefined, margin: 'not judged: run `npm run bench` for the 1M-record ring' }),
    });
  }
  if (persisted !== undefined && plain !== undefined) {
    const cost = atMost(
      `emit with \`persist\` ≤ ${PERSIST_EMIT_LIMIT} × emit without it (wall time, same rounds)`,
      persisted.ratioToB,
      PERSIST_EMIT_LIMIT,
      (value) => `${value.toFixed(2)} ×`,
    );
    outcomes.push({
      ...cost,
      measured: `${cost.measured} ((p) ${persisted.ratioToA.toFixed(2)} × and (b) ${plain.ratioToA.toFixed(2)} × the no-op floor)`,
    });
  }
  return outcomes;
}

/** The typed-event path (README, "Typed events"): its own cost, against the SDK's floor and pino, and two threads into one ring. */
function typedEventTargets(typed: ThroughputResult, pino: ThroughputResult, two: ConcurrencyResult['rows'][number] | undefined): TargetOutcome[] {
  return [
    atMost('typed event ≤ 100 ns per record (CPU time; the six-attribute record)', typed.cpuNs, 100, (value) => `${value.toFixed(0)} ns`),
    {
      ...atLeast('typed event ≥ 5 × faster than the no-op floor (CPU time)', 1 / typed.cpuRatioToA, 5, (value) => `${value.toFixed(2)} ×`, 'it needs'),
      measured: `${(1 / typed.cpuRatioToA).toFixed(2)} × in CPU time (${(1 / typed.ratioToA).toFixed(2)} × in wall time)`,
    },
    atLeast(`typed event ≥ 25 × faster than pino (CPU time, (${pino.id}))`, pino.cpuNs / typed.cpuNs, 25, (value) => `${value.toFixed(1)} ×`, 'it needs'),
    two === undefined
      ? { target: 'typed events from 2 threads ≥ 8M records/s', measured: 'not measured', met: undefined, margin: '' }
      : rateAtLeast('typed events from 2 threads ≥ 8M records/s (one ring)', two.recordsPerSecond / 1e6, 8),
  ];
}

/** A rate in millions of records per second against its goal. */
function rateAtLeast(target: string, millions: number, goal: number): TargetOutcome {
  const met = millions >= goal;
  const shown = `${millions.toFixed(2)}M records/s`;
  return { target, measured: shown, met, margin: met ? `met (goal ${goal}M/s)` : `missed: ${shown} against ${goal}M/s` };
}

export function evaluateTargets({ throughput, latency, concurrency, snapshots, memory, recorder, persist }: TargetInputs): TargetOutcome[] {
  const byId = new Map(throughput.map((result) => [result.id, result]));
  const ttlog = byId.get('b')!;
  // pino is judged by its faster destination in this run, so the comparison cannot flatter ttlog.
  const pinos = [byId.get('d'), byId.get('d-sync')].filter((result) => result !== undefined);
  const pino = pinos.reduce((fastest, result) => (result.cpuNs < fastest.cpuNs ? result : fastest));
  const largest = snapshots[snapshots.length - 1]!;
  const atSize = largest.records === SNAPSHOT_TARGET_RECORDS ? '' : ` (at ${largest.records.toLocaleString('en-US')} records, not 1M)`;
  const compared = [...snapshots].reverse().find((result) => result.alternatives !== undefined);
  const one = concurrency.rows.find((row) => row.processor === 'ttlog' && row.threads === 1);
  const two = concurrency.rows.find((row) => row.processor === 'ttlog' && row.threads === 2);
  const noopTwo = concurrency.rows.find((row) => row.processor === 'noop' && row.threads === 2);
  const during = latency.duringSnapshot;
  const main = memory.main;
  const typed = byId.get('t');
  const typedTwo = concurrency.rows.find((row) => row.processor === 'event' && row.threads === 2);
  return [
    ...(typed === undefined ? [] : typedEventTargets(typed, pino, typedTwo)),
    // Judged on CPU time per record (whole process, ratio within each round): on this shared
    // machine wall time swings with other work; the wall-time ratio is shown beside it.
    {
      ...atMost('TTLogProcessor ≤ 1.2 × the no-op floor, per record (CPU time)', ttlog.cpuRatioToA, 1.2, (value) => `${value.toFixed(2)} × (a)`),
      measured: `${ttlog.cpuRatioToA.toFixed(2)} × (a) in CPU time (${ttlog.ratioToA.toFixed(2)} × in wall time)`,
    },
    {
      ...atLeast(
        `TTLogProcessor ≥ 2.5 × faster than pino to /dev/null (CPU time) — its faster destination here, (${pino.id})`,
        pino.cpuRatioToB,
        2.5,
        (value) => `${value.toFixed(2)} ×`,
        'ttlog needs',
      ),
      measured: `${pino.cpuRatioToB.toFixed(2)} × in CPU time (${pinos.map((result) => `(${result.id}) ${result.cpuRatioToB.toFixed(2)} ×`).join(', ')}; wall time ${pinos.map((result) => `(${result.id}) ${result.ratioToB.toFixed(2)} ×`).join(', ')})`,
    },
    atMost(`emit p99 ≤ 5 µs while a snapshot is being written (same process, snapshot timer)`, during.p99 / 1000, 5, (value) => `${value.toFixed(2)} µs`),
    one !== undefined && two !== undefined
      ? {
          ...atLeast(
            '2 producer threads ≥ 1.7 × one (aggregate records/s, one ring)',
            two.recordsPerSecond / one.recordsPerSecond,
            1.7,
            (value) => `${value.toFixed(2)} ×`,
            'two threads need',
          ),
          measured: `${(two.recordsPerSecond / one.recordsPerSecond).toFixed(2)} × (no-op processor on the same threads: ${noopTwo === undefined ? '–' : `${(noopTwo.efficiency * 2).toFixed(2)} ×`}; ${concurrency.cores} cores)`,
        }
      : { target: '2 producers ≥ 1.7 × one', measured: 'not measured', met: undefined, margin: '' },
    {
      ...atMost(`1M-record snapshot written in ≤ 1 s${atSize}`, largest.medianWriteMs / 1000, 1, (value) => `${value.toFixed(2)} s`),
      measured: `${(largest.medianWriteMs / 1000).toFixed(2)} s (CPU ${(median(largest.cpuMs) / 1000).toFixed(2)} s; the process's first: ${(largest.firstWriteMs / 1000).toFixed(2)} s)`,
      // A smaller snapshot says nothing about this target: shown, not judged.
      ...(atSize === '' ? {} : { met: undefined, margin: 'not judged: run `npm run bench` for the 1M-record snapshot' }),
    },
    compared?.alternatives === undefined
      ? { target: 'bytes on disk ≤ NDJSON + gzip', measured: 'not measured', met: undefined, margin: '' }
      : {
          ...atMost(
            `snapshot bytes on disk ≤ NDJSON + gzip of the same records (${compared.records.toLocaleString('en-US')} records)`,
            compared.fileBytes / compared.alternatives.gzipBytes,
            1,
            (value) => `${value.toFixed(2)} × the gzip file`,
          ),
          measured: `${(compared.fileBytes / compared.alternatives.gzipBytes).toFixed(2)} × the gzip file (${compared.bytesPerRecord.toFixed(1)} vs ${(compared.alternatives.gzipBytes / compared.records).toFixed(1)} bytes/record)`,
        },
    main === undefined
      ? { target: 'heap growth', measured: 'not measured (run node with --expose-gc)', met: undefined, margin: '' }
      : atMost(
          `heap growth over ${millions(main.records)} records after warm-up < 2 MiB`,
          main.heapGrowth / (1024 * 1024),
          HEAP_GROWTH_LIMIT / (1024 * 1024),
          (value) => `${value < -0.005 ? '' : '+'}${(Math.abs(value) < 0.005 ? 0 : value).toFixed(2)} MiB`,
        ),
    ...recorderTargets(recorder, persist),
  ];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function atMost(target: string, value: number, limit: number, show: (value: number) => string): TargetOutcome {
  const met = value <= limit;
  const percent = Math.abs(value / limit - 1) * 100;
  const margin = met ? `met (limit ${show(limit)})` : `missed by ${percent.toFixed(0)}%: ${show(value)} against ${show(limit)}`;
  return { target, measured: show(value), met, margin };
}

function atLeast(target: string, value: number, goal: number, show: (value: number) => string, who: string): TargetOutcome {
  const met = value >= goal;
  const margin = met
    ? `met (goal ${goal} ×)`
    : `missed: ${value.toFixed(2)} × against ${goal} ×; ${who} ${((1 - value / goal) * 100).toFixed(0)}% less time per record`;
  return { target, measured: show(value), met, margin };
}

export function millions(records: number): string {
  return records % 1_000_000 === 0 ? `${records / 1_000_000}M` : records.toLocaleString('en-US');
}
