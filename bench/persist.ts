/**
 * `npm run bench:persist [rounds]`: what the `persist` option costs (persist-cost.ts; `npm run
 * bench` runs the same as a section of the report), printed on its own: the emit cost with
 * `persist` on and off as ratios to the no-op floor in the same run, and the persisting thread's
 * CPU and bytes written at 100,000 records/s. Writes nothing but its temp files.
 */
import { loadavg } from 'node:os';
import { measurePersist, PERSIST_PLAN } from './persist-cost.ts';

const rounds = Number(process.argv[2] ?? PERSIST_PLAN.emit.rounds);
const loadBefore = loadavg()[0]!;
const result = await measurePersist({ ...PERSIST_PLAN, emit: { ...PERSIST_PLAN.emit, rounds } });
const [floor, plain, persisted] = result.emit;
console.log(
  `emit: (a) ${floor!.medianNs.toFixed(0)} ns  (b) ${plain!.medianNs.toFixed(0)} ns  (p) ${persisted!.medianNs.toFixed(0)} ns  ` +
    `(b)/(a) ${plain!.ratioToA.toFixed(3)}  (p)/(a) ${persisted!.ratioToA.toFixed(3)}  (median of per-round ratios, ${rounds} rounds; ` +
    `CPU time (b)/(a) ${plain!.cpuRatioToA.toFixed(3)}  (p)/(a) ${persisted!.cpuRatioToA.toFixed(3)})`,
);
console.log(
  `persisting thread: ${result.tickCpuMs.toFixed(2)} ms CPU (${result.tickWallMs.toFixed(2)} ms wall) per tick of ${result.plan.recordsPerTick.toLocaleString('en-US')} records = ` +
    `${result.cpuMsPerSecondAt100k.toFixed(0)} ms CPU per second (${(result.cpuMsPerSecondAt100k / 10).toFixed(1)} % of a core) at 100,000 records/s; ` +
    `${(result.bytesPerSecondAt100k / 2 ** 20).toFixed(0)} MiB/s handed to the page cache (the file: ${(result.fileBytes / 2 ** 20).toFixed(1)} MiB)`,
);
console.log(`1-minute load average ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after`);
