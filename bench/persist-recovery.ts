/**
 * The recovered share of records against the time before a kill: a child logging numbered records
 * from its main thread and a worker thread, with `persist` (intervalMs 100), SIGKILLed at random
 * moments, then recovered as a starting processor does (the harness of
 * spec/persist/persist-kill.spec.ts). Every trial is checked as the spec checks it (every record
 * committed more than two intervals before the kill, or before the last batch began if that was
 * earlier, is there, in order, none torn; the accounting identity holds), the trials whose last
 * batch began earlier are counted, and the recovered share of records is reported by how long
 * before the kill they were committed (from the child's reports every 10 ms of what it had
 * committed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertRecovered,
  CONCURRENT_CHILDREN,
  type Committed,
  lastBatchTime,
  recover,
  runPersistChild,
  signalAfter,
} from '../spec/persist/fixtures/persist-harness.ts';
import { seededRandom } from '../spec/support/seeded-random.ts';
import type { Snapshot } from '../src/index.ts';

export interface RecoveryPlan {
  readonly trials: number;
  readonly seed: number;
}

/** Records committed between `fromMs` and `toMs` before the kill, and how many of them were recovered. */
export interface RecoveryBucket {
  readonly fromMs: number;
  readonly toMs: number;
  committed: number;
  recovered: number;
}

export interface RecoveryResult {
  readonly plan: RecoveryPlan;
  readonly intervalMs: number;
  readonly buckets: RecoveryBucket[];
  /** Trials whose recovered file failed the spec's checks, each with why. */
  readonly failures: string[];
  /** Trials whose last persisted batch began more than two intervals before the kill (the recorder thread kept off the CPU). */
  readonly lagged: number;
  readonly seconds: number;
}

const INTERVAL_MS = 100;
/** Each child is killed at a random moment this long after it starts logging. */
export const KILL_AFTER_MS = { from: 20, to: 1520 } as const;
/** Age bucket limits (ms before the kill) of the recovered share. */
const LIMITS = [0, 50, 100, 150, 200, 300, Number.POSITIVE_INFINITY];

/** Runs the trials, the harness's {@link CONCURRENT_CHILDREN} children at once. */
export async function measureRecovery(plan: RecoveryPlan): Promise<RecoveryResult> {
  const started = performance.now();
  const random = seededRandom(plan.seed);
  const buckets: RecoveryBucket[] = LIMITS.slice(1).map((toMs, i) => ({ fromMs: LIMITS[i]!, toMs, committed: 0, recovered: 0 }));
  const failures: string[] = [];
  let lagged = 0;

  const trial = async (index: number): Promise<void> => {
    const delay = KILL_AFTER_MS.from + Math.floor(random() * (KILL_AFTER_MS.to - KILL_AFTER_MS.from));
    const directory = mkdtempSync(join(tmpdir(), 'ttlog-persist-stress-'));
    try {
      const result = await runPersistChild('steady', directory, {
        intervalMs: INTERVAL_MS,
        onReady: signalAfter(delay),
      });
      const snapshots = await recover(directory);
      if (snapshots.length !== 1) throw new Error(`${snapshots.length} recovered snapshots`);
      assertRecovered(snapshots[0]!, result.committed, result.signalledAt! - 2 * INTERVAL_MS, `trial ${index}`);
      tally(buckets, snapshots[0]!, result.committed, result.signalledAt!);
      if (result.signalledAt! - lastBatchTime(snapshots[0]!) > 2 * INTERVAL_MS) lagged++;
    } catch (error) {
      failures.push(`trial ${index} (kill after ${delay} ms): ${(error as Error).message}`);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  };

  // The harness runs them in turn, CONCURRENT_CHILDREN at a time.
  await Promise.all(Array.from({ length: plan.trials }, (_, index) => trial(index)));
  return { plan, intervalMs: INTERVAL_MS, buckets, failures, lagged, seconds: (performance.now() - started) / 1000 };
}

/** Adds each record the child reported to its age bucket, as recovered or not. */
function tally(buckets: RecoveryBucket[], snapshot: Snapshot, committed: readonly Committed[], killedAt: number): void {
  const present = { main: new Set<number>(), worker: new Set<number>() };
  for (const record of snapshot.records) present[record.attributes.thread as 'main' | 'worker'].add(record.attributes.n as number);
  let previous = { main: 0, worker: 0 };
  for (const report of committed.filter((entry) => entry.at <= killedAt)) {
    const age = killedAt - report.at;
    const bucket = buckets.find((candidate) => age >= candidate.fromMs && age < candidate.toMs)!;
    for (const thread of ['main', 'worker'] as const) {
      for (let n = previous[thread]; n < report[thread]; n++) {
        bucket.committed++;
        if (present[thread].has(n)) bucket.recovered++;
      }
    }
    previous = { main: report.main, worker: report.worker };
  }
}

/** A bucket's age range as the report and the console show it. */
export function bucketRange(bucket: RecoveryBucket): string {
  return bucket.toMs === Number.POSITIVE_INFINITY ? `≥ ${bucket.fromMs} ms` : `${bucket.fromMs}–${bucket.toMs} ms`;
}
