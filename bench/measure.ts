/**
 * Throughput sampling: every candidate runs in the same process, in rounds, in rotating order,
 * so that a noisy neighbour or a CPU frequency change hits all of them alike. Ratios are taken
 * within a round and then the median over rounds, which keeps them steady when the machine's
 * speed drifts between rounds.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Candidate, CandidateId } from './candidates.ts';

export interface SamplingPlan {
  /** Records each candidate logs before measuring (twice, in rotating order). */
  readonly warmupRecords: number;
  readonly rounds: number;
  readonly recordsPerSample: number;
  /**
   * The loop gives the event loop a turn after this many records, as a service between requests
   * would: the batch processor exports and pino's async destination writes in those turns.
   */
  readonly yieldEvery: number;
}

export interface ThroughputResult {
  readonly id: CandidateId;
  readonly label: string;
  /** ns per record of each round, in round order (wall time). */
  readonly samplesNs: number[];
  /**
   * CPU time of the whole process (all threads: GC helpers, libuv's pool) per record, median over
   * rounds. Unlike wall time it does not grow when other work on the machine takes the cores.
   */
  readonly cpuNs: number;
  readonly medianNs: number;
  readonly minNs: number;
  readonly maxNs: number;
  readonly recordsPerSecond: number;
  /** Median over rounds of (this ns/record) / (that candidate's ns/record in the same round). */
  readonly ratioToA: number;
  readonly ratioToB: number;
  /** CPU ns per record of each round, and the same ratios over CPU time (steadier on a shared machine). */
  readonly cpuSamplesNs: number[];
  readonly cpuRatioToA: number;
  readonly cpuRatioToB: number;
  readonly emitted: number;
  readonly delivered: number;
  readonly dropped: number;
  readonly check: string;
}

const collectGarbage = (globalThis as { gc?: () => void }).gc;

/** Runs the plan and returns one result per candidate, in the order given. */
export async function measureThroughput(candidates: readonly Candidate[], plan: SamplingPlan): Promise<ThroughputResult[]> {
  const next = new Map<CandidateId, number>(candidates.map((candidate) => [candidate.id, 0]));
  const sample = async (candidate: Candidate, count: number): Promise<{ ns: number; cpuNs: number; delivered: number }> => {
    collectGarbage?.();
    const from = next.get(candidate.id)!;
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    for (let done = 0; done < count; done += plan.yieldEvery) {
      candidate.run(from + done, Math.min(plan.yieldEvery, count - done));
      await nextTurn();
      candidate.collect();
    }
    await candidate.settle();
    const ns = Number(process.hrtime.bigint() - start);
    const cpu = process.cpuUsage(cpuStart);
    next.set(candidate.id, from + count);
    return { ns, cpuNs: (cpu.user + cpu.system) * 1000, delivered: candidate.takeDelivered() };
  };

  for (let pass = 0; pass < 2; pass++) {
    for (const candidate of rotate(candidates, pass)) await sample(candidate, plan.warmupRecords);
  }

  const samples = new Map<CandidateId, number[]>(candidates.map((candidate) => [candidate.id, []]));
  const cpuSamples = new Map<CandidateId, number[]>(candidates.map((candidate) => [candidate.id, []]));
  const delivered = new Map<CandidateId, number>(candidates.map((candidate) => [candidate.id, 0]));
  for (let round = 0; round < plan.rounds; round++) {
    for (const candidate of rotate(candidates, round)) {
      const result = await sample(candidate, plan.recordsPerSample);
      samples.get(candidate.id)!.push(result.ns / plan.recordsPerSample);
      cpuSamples.get(candidate.id)!.push(result.cpuNs / plan.recordsPerSample);
      delivered.set(candidate.id, delivered.get(candidate.id)! + result.delivered);
    }
  }

  const emitted = plan.rounds * plan.recordsPerSample;
  const results: ThroughputResult[] = [];
  for (const candidate of candidates) {
    const ns = samples.get(candidate.id)!;
    const medianNs = median(ns);
    results.push({
      id: candidate.id,
      label: candidate.label,
      samplesNs: ns,
      medianNs,
      minNs: Math.min(...ns),
      maxNs: Math.max(...ns),
      cpuNs: median(cpuSamples.get(candidate.id)!),
      recordsPerSecond: 1e9 / medianNs,
      ratioToA: roundRatio(ns, samples.get('a')),
      ratioToB: roundRatio(ns, samples.get('b')),
      cpuSamplesNs: cpuSamples.get(candidate.id)!,
      cpuRatioToA: roundRatio(cpuSamples.get(candidate.id)!, cpuSamples.get('a')),
      cpuRatioToB: roundRatio(cpuSamples.get(candidate.id)!, cpuSamples.get('b')),
      emitted,
      delivered: delivered.get(candidate.id)!,
      dropped: emitted - delivered.get(candidate.id)!,
      check: await candidate.verify(),
    });
  }
  return results;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function roundRatio(values: readonly number[], reference: readonly number[] | undefined): number {
  if (reference === undefined) return Number.NaN;
  return median(values.map((value, round) => value / reference[round]!));
}

/** The candidates starting at position `shift`, so each takes every position in turn. */
function rotate<T>(items: readonly T[], shift: number): T[] {
  const start = shift % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}
