/**
 * Latency of a single log call: every call timed on its own (`performance.now()` before and after)
 * into an HdrHistogram, p50/p99/p99.9/max reported. Every candidate is measured in the same
 * process, in rounds with the order rotating, as the throughput benchmark does.
 *
 * ttlog is measured twice on one ring of 65,536 records: alone, and while snapshots of that ring
 * are written by a timer in the same process — the realistic case: a service's periodic or
 * triggered snapshot runs on its own event loop, between requests. The snapshot yields to the
 * event loop between chunks, so the logging loop keeps running while one is in flight; each call
 * is filed under "during a snapshot" only if a snapshot was in flight when it started.
 */

import { rmSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import * as hdr from 'hdr-histogram-js';
import type { Candidate, CandidateId } from './candidates.ts';

export interface LatencyPlan {
  readonly rounds: number;
  /** Timed calls per candidate per round. */
  readonly callsPerRound: number;
  /** Calls between event-loop turns (the snapshot timer and chunks run in those turns). */
  readonly yieldEvery: number;
  /** Period of the snapshot timer in the "while snapshots are written" run. */
  readonly snapshotEveryMs: number;
  /** That run goes on until at least this many snapshots were written (and rounds × callsPerRound calls made). */
  readonly snapshots: number;
}

export interface LatencySummary {
  readonly id: CandidateId | 'b-snap';
  readonly label: string;
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

export interface LatencyResult {
  readonly plan: LatencyPlan;
  /** What the timer pair itself reads with nothing between: subtract it mentally, it is not subtracted. */
  readonly timerOverhead: LatencySummary;
  readonly candidates: LatencySummary[];
  /** ttlog's calls made while a snapshot was in flight, and the snapshots behind them. */
  readonly duringSnapshot: LatencySummary & {
    readonly snapshots: number;
    readonly snapshotMs: number;
    readonly ringCapacity: number;
    /** Whether the processor's recorder thread wrote the snapshots (else the main thread did). */
    readonly onRecorderThread: boolean;
    /** Event-loop delay (ns) while snapshots were running: how long the longest synchronous slice held up everything else. */
    readonly loopDelayP99: number;
    readonly loopDelayMax: number;
  };
}

function histogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 1e10, numberOfSignificantValueDigits: 3, autoResize: true });
}

function summarize(id: LatencySummary['id'], label: string, h: hdr.Histogram): LatencySummary {
  return {
    id,
    label,
    count: h.totalCount,
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.maxValue,
    mean: h.mean,
  };
}

/** Times `count` calls of `one` from index `from`, each alone; `into(startNs)` picks the histogram. */
async function timeCalls(one: (index: number) => void, from: number, count: number, yieldEvery: number, into: () => hdr.Histogram): Promise<void> {
  for (let done = 0; done < count; done += yieldEvery) {
    const end = from + Math.min(done + yieldEvery, count);
    for (let i = from + done; i < end; i++) {
      const target = into();
      const start = performance.now();
      one(i);
      const ns = (performance.now() - start) * 1e6;
      target.recordValue(Math.max(1, Math.round(ns)));
    }
    await nextTurn();
  }
}

const collectGarbage = (globalThis as { gc?: () => void }).gc;

/**
 * `ttlog` is a TTLogProcessor candidate with a 65,536-record ring (measured alone with the others,
 * then again with the snapshot timer running).
 */
export async function measureLatency(
  candidates: readonly Candidate[],
  ttlog: Candidate & { readonly processor: import('../src/index.ts').TTLogProcessor },
  plan: LatencyPlan,
): Promise<LatencyResult> {
  const all = [...candidates, ttlog];
  const histograms = new Map<Candidate, hdr.Histogram>(all.map((candidate) => [candidate, histogram()]));
  const next = new Map<Candidate, number>(all.map((candidate) => [candidate, 0]));
  const overhead = histogram();
  await timeCalls(
    () => undefined,
    0,
    plan.callsPerRound,
    plan.yieldEvery,
    () => overhead,
  );

  // Warm-up: one round's worth each, not recorded.
  for (const candidate of all) {
    const scratch = histogram();
    await timeCalls(candidate.one, 0, plan.callsPerRound, plan.yieldEvery, () => scratch);
    await candidate.settle();
    candidate.collect();
    next.set(candidate, plan.callsPerRound);
  }
  for (let round = 0; round < plan.rounds; round++) {
    for (let k = 0; k < all.length; k++) {
      const candidate = all[(k + round) % all.length]!;
      collectGarbage?.();
      const target = histograms.get(candidate)!;
      await timeCalls(candidate.one, next.get(candidate)!, plan.callsPerRound, plan.yieldEvery, () => target);
      await candidate.settle();
      candidate.collect();
      next.set(candidate, next.get(candidate)! + plan.callsPerRound);
    }
  }

  // ttlog again, with a timer writing snapshots of its ring in the same process.
  const during = histogram();
  const between = histogram();
  let inFlight = false;
  let snapshots = 0;
  let snapshotNs = 0;
  const paths: string[] = [];
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = true;
    const start = performance.now();
    ttlog.processor.snapshot('bench-latency').then(
      (path) => {
        snapshots++;
        snapshotNs += (performance.now() - start) * 1e6;
        paths.push(path);
        inFlight = false;
      },
      (error: unknown) => {
        console.error(error);
        inFlight = false;
      },
    );
  }, plan.snapshotEveryMs);
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  collectGarbage?.();
  let from = next.get(ttlog)!;
  const pick = (): hdr.Histogram => (inFlight ? during : between);
  for (let calls = 0; calls < plan.rounds * plan.callsPerRound || snapshots < plan.snapshots; calls += plan.yieldEvery * 16) {
    await timeCalls(ttlog.one, from, plan.yieldEvery * 16, plan.yieldEvery, pick);
    from += plan.yieldEvery * 16;
  }
  loopDelay.disable();
  clearInterval(timer);
  while (inFlight) await nextTurn();
  for (const path of paths) rmSync(path, { force: true });

  const { capacity: ringCapacity, recorderThread } = ttlog.processor.stats();
  return {
    plan,
    timerOverhead: summarize('a', 'timer pair alone', overhead),
    candidates: all.map((candidate) =>
      summarize(
        candidate.id,
        candidate === ttlog ? `${candidate.label} (ring of ${ringCapacity.toLocaleString('en-US')})` : candidate.label,
        histograms.get(candidate)!,
      ),
    ),
    duringSnapshot: {
      ...summarize('b-snap', `OTel emit, TTLogProcessor (ring of ${ringCapacity.toLocaleString('en-US')}) while a snapshot is being written`, during),
      snapshots,
      snapshotMs: snapshots === 0 ? 0 : snapshotNs / snapshots / 1e6,
      ringCapacity,
      onRecorderThread: recorderThread?.onMainThread === false,
      loopDelayP99: loopDelay.percentile(99),
      loopDelayMax: loopDelay.max,
    },
  };
}
