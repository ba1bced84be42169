/**
 * `node --expose-gc --import tsx bench/emit-micro.ts [rounds]`: a focused look at what
 * `TTLogProcessor.onEmit` adds on top of OpenTelemetry's `logger.emit` — candidates (a) and (b)
 * of the throughput benchmark only, the same record and sampler, more rounds. For tuning the hot
 * path between full runs of `npm run bench`; it writes nothing.
 */
import { noopCandidate, ttlogCandidate } from './candidates.ts';
import { measureThroughput, median } from './measure.ts';

const rounds = Number(process.argv[2] ?? 15);
const candidates = [noopCandidate(), ttlogCandidate()];
const [floor, ttlog] = await measureThroughput(candidates, {
  warmupRecords: 50_000,
  rounds,
  recordsPerSample: 100_000,
  yieldEvery: 1024,
});
for (const candidate of candidates) await candidate.close();

const added = median(ttlog!.samplesNs.map((ns, round) => ns - floor!.samplesNs[round]!));
console.log(
  `(a) ${floor!.medianNs.toFixed(0)} ns  (b) ${ttlog!.medianNs.toFixed(0)} ns  ` +
    `(b)/(a) ${ttlog!.ratioToA.toFixed(3)}  added by ttlog ${added.toFixed(0)} ns/record (median over ${rounds} rounds)`,
);
