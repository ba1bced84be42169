/**
 * `npm run stress:persist [trials]`: more of spec/persist/persist-kill.spec.ts — the
 * kill-and-recover trials of persist-recovery.ts (`npm run bench` runs a few of them as a section
 * of the report), many of them: each trial checked as the spec checks it, and the recovered share
 * of records by how long before the kill they were committed. `SEED` picks the kill times.
 */
import { loadavg } from 'node:os';
import { bucketRange, measureRecovery } from './persist-recovery.ts';

const trials = Number(process.argv[2] ?? 100);
const result = await measureRecovery({ trials, seed: Number(process.env.SEED ?? 7) });
for (const failure of result.failures) console.error(failure);
console.log(
  `${trials} trials, ${result.failures.length} failed; in ${result.lagged} the last batch began more than ${2 * result.intervalMs} ms before the kill (load average ${loadavg()[0]!.toFixed(1)})`,
);
console.log('committed before the kill   recovered share');
for (const bucket of result.buckets) {
  console.log(
    `${bucketRange(bucket).padEnd(28)}${bucket.committed === 0 ? '-' : `${((100 * bucket.recovered) / bucket.committed).toFixed(2)} % of ${bucket.committed}`}`,
  );
}
process.exitCode = result.failures.length === 0 ? 0 : 1;
