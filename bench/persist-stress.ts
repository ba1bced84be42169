/**
 * `npm run stress:persist [trials] [concurrency]`: more of spec/persist/persist-kill.spec.ts — a
 * child logging numbered records from its main thread and a worker thread, with `persist`
 * (intervalMs 100), SIGKILLed at random moments, then recovered as a starting processor does.
 * Every trial is checked as the spec checks it (every record committed more than two intervals
 * before the kill, or before the last batch began if that was earlier, is there, in order, none
 * torn; the accounting identity holds), the trials whose last batch began earlier are counted, and the
 * recovered share of records is reported by how long before the kill they were committed (from
 * the child's reports every 10 ms of what it had committed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertRecovered, type Committed, recover, runPersistChild } from '../spec/persist/fixtures/persist-harness.ts';
import { seededRandom } from '../spec/support/seeded-random.ts';
import type { Snapshot } from '../src/index.ts';

const trials = Number(process.argv[2] ?? 100);
const concurrency = Number(process.argv[3] ?? 3);
const INTERVAL_MS = 100;
/** Age buckets (ms before the kill) of the recovered share. */
const BUCKETS = [0, 50, 100, 150, 200, 300, Number.POSITIVE_INFINITY];
const shares = BUCKETS.slice(1).map(() => ({ committed: 0, recovered: 0 }));
const random = seededRandom(Number(process.env.SEED ?? 7));
let failures = 0;
/** Trials whose last persisted batch began more than two intervals before the kill (the recorder thread kept off the CPU). */
let lagged = 0;
let next = 0;

async function trial(index: number): Promise<void> {
  const delay = 20 + Math.floor(random() * 1500);
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-persist-stress-'));
  try {
    const result = await runPersistChild('steady', directory, {
      intervalMs: INTERVAL_MS,
      onReady: async () => {
        await sleep(delay);
        return 'SIGKILL';
      },
    });
    const snapshots = await recover(directory);
    if (snapshots.length !== 1) throw new Error(`${snapshots.length} recovered snapshots`);
    assertRecovered(snapshots[0]!, result.committed, result.signalledAt! - 2 * INTERVAL_MS, `trial ${index}`);
    tally(snapshots[0]!, result.committed, result.signalledAt!);
    if (result.signalledAt! - Date.parse(String(snapshots[0]!.metadata.cause?.lastBatchAt)) > 2 * INTERVAL_MS) lagged++;
  } catch (error) {
    failures++;
    console.error(`trial ${index} (kill after ${delay} ms): ${(error as Error).message}`);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** Adds each record the child reported to its age bucket, as recovered or not. */
function tally(snapshot: Snapshot, committed: readonly Committed[], killedAt: number): void {
  const present = { main: new Set<number>(), worker: new Set<number>() };
  for (const record of snapshot.records) present[record.attributes.thread as 'main' | 'worker'].add(record.attributes.n as number);
  let previous = { main: 0, worker: 0 };
  for (const report of committed.filter((entry) => entry.at <= killedAt)) {
    const age = killedAt - report.at;
    const bucket = shares[BUCKETS.findIndex((limit, i) => age >= limit && age < BUCKETS[i + 1]!)]!;
    for (const thread of ['main', 'worker'] as const) {
      for (let n = previous[thread]; n < report[thread]; n++) {
        bucket.committed++;
        if (present[thread].has(n)) bucket.recovered++;
      }
    }
    previous = { main: report.main, worker: report.worker };
  }
}

await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < trials) await trial(next++);
  }),
);
console.log(
  `${trials} trials, ${failures} failed; in ${lagged} the last batch began more than ${2 * INTERVAL_MS} ms before the kill (load average ${loadavg()[0]!.toFixed(1)})`,
);
console.log('committed before the kill   recovered share');
shares.forEach((share, i) => {
  const range = BUCKETS[i + 1] === Number.POSITIVE_INFINITY ? `≥ ${BUCKETS[i]} ms` : `${BUCKETS[i]}–${BUCKETS[i + 1]} ms`;
  console.log(`${range.padEnd(28)}${share.committed === 0 ? '-' : `${((100 * share.recovered) / share.committed).toFixed(2)} % of ${share.committed}`}`);
});
process.exitCode = failures === 0 ? 0 : 1;
