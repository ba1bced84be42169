/**
 * The targets of the core issue (§10), measured against — never asserted. Each outcome says
 * whether it was met and by how much, so a miss is reported with its size, not hidden.
 */
import type { ThroughputResult } from './measure.ts';
import type { MemoryResult } from './memory.ts';
import type { SnapshotResult } from './snapshot.ts';

export interface TargetOutcome {
  readonly target: string;
  readonly measured: string;
  /** Undefined when this run could not measure it (for example without --expose-gc). */
  readonly met: boolean | undefined;
  readonly margin: string;
}

/** "A few MB", made concrete. */
export const HEAP_GROWTH_LIMIT = 3 * 1024 * 1024;
export const SNAPSHOT_TARGET_RECORDS = 1_000_000;

export function evaluateTargets(throughput: readonly ThroughputResult[], snapshot: SnapshotResult, memory: MemoryResult): TargetOutcome[] {
  const byId = new Map(throughput.map((result) => [result.id, result]));
  const ttlog = byId.get('b')!;
  // pino is judged by its faster destination in this run, so the comparison cannot flatter ttlog.
  const pinos = [byId.get('d'), byId.get('d-sync')].filter((result) => result !== undefined);
  const pino = pinos.reduce((fastest, result) => (result.medianNs < fastest.medianNs ? result : fastest));
  const atSize = snapshot.records === SNAPSHOT_TARGET_RECORDS ? '' : ` (at ${snapshot.records.toLocaleString('en-US')} records, not 1M)`;
  return [
    atMost('(b) TTLogProcessor ≤ 1.25 × (a) the no-op floor, per record', ttlog.ratioToA, 1.25, (value) => `${value.toFixed(2)} × (a)`),
    atLeast(
      `(b) at least 2 × faster than pino to /dev/null — its faster destination here, (${pino.id})`,
      pino.ratioToB,
      2,
      (value) => `${value.toFixed(2)} × faster (${pinos.map((result) => `(${result.id}) ${result.ratioToB.toFixed(2)} ×`).join(', ')})`,
    ),
    {
      ...atMost(`1M-record snapshot written in ≤ 1.5 s${atSize}`, snapshot.medianWriteMs / 1000, 1.5, (value) => `${value.toFixed(2)} s`),
      measured: `${(snapshot.medianWriteMs / 1000).toFixed(2)} s (the process's first: ${(snapshot.firstWriteMs / 1000).toFixed(2)} s)`,
    },
    atMost(`1M-record snapshot ≤ 24 bytes per record${atSize}`, snapshot.bytesPerRecord, 24, (value) => `${value.toFixed(1)} bytes/record`),
    memory.measured
      ? atMost(
          `heap after ${millions(lastRecords(memory))} records within a few MB (≤ 3 MiB) of heap after ${millions(memory.checkpoints[0]!.records)}`,
          memory.heapGrowth / (1024 * 1024),
          HEAP_GROWTH_LIMIT / (1024 * 1024),
          (value) => `${value < -0.005 ? '' : '+'}${(Math.abs(value) < 0.005 ? 0 : value).toFixed(2)} MiB`,
        )
      : { target: 'heap growth', measured: 'not measured (run node with --expose-gc)', met: undefined, margin: '' },
  ];
}

function atMost(target: string, value: number, limit: number, show: (value: number) => string): TargetOutcome {
  const met = value <= limit;
  const percent = Math.abs(value / limit - 1) * 100;
  const margin = met ? `met (limit ${show(limit)})` : `missed by ${percent.toFixed(0)}%: ${show(value)} against ${show(limit)}`;
  return { target, measured: show(value), met, margin };
}

function atLeast(target: string, value: number, goal: number, show: (value: number) => string): TargetOutcome {
  const met = value >= goal;
  const margin = met
    ? `met (goal ${goal} ×)`
    : `missed: ${value.toFixed(2)} × against ${goal} ×; (b) needs ${((1 - value / goal) * 100).toFixed(0)}% less time per record`;
  return { target, measured: show(value), met, margin };
}

function lastRecords(memory: MemoryResult): number {
  return memory.checkpoints[memory.checkpoints.length - 1]!.records;
}

export function millions(records: number): string {
  return records % 1_000_000 === 0 ? `${records / 1_000_000}M` : records.toLocaleString('en-US');
}
