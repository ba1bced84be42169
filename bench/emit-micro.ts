/**
 * `node --expose-gc --import tsx bench/emit-micro.ts [rounds]`: a focused look at what
 * `TTLogProcessor.onEmit` adds on top of OpenTelemetry's `logger.emit` — candidates (a), (b) and
 * (h) (with `handoff` configured, docs/handoff.md "Costs") of the throughput benchmark only, the
 * same record and sampler, more rounds, ratios taken within each round. For tuning the hot path
 * between full runs of `npm run bench`; it writes nothing.
 *
 * The figures behind the hot path's choices, as measured when each was made (2-core benchmark
 * machine, Node 20; with this script, or `npm run bench:profile -- emit` for the profiles). The
 * code names each choice and refers here; rerun before changing one.
 * - ASCII_LOOP_LENGTH (record-encoder.ts): a fresh 16-char sliced string (a request id) copied
 *   by the JS loop ~45 ns, by `Buffer#write` ~85 ns; they meet near 32 chars; at 63 chars the
 *   loop takes ~155 ns, `write` ~88 ns.
 * - attribute loop (RecordEncoder): strings, numbers and booleans written inline, the rest
 *   through writeValue: ~15 ns a record of four attributes in a direct onEmit loop.
 * - writeInlineText: `Buffer.byteLength` then `write` ~150 ns, one `write` after a padded header
 *   ~85 ns, for 24–300 chars.
 * - Interner candidates: a Set insert per unique value (request ids) cost ~200 ns and garbage per
 *   record in the emit benchmark.
 * - key cache (Interner): the `===` cache in front of `Map#get` halved the cost of key lookups in
 *   the onEmit profile.
 * - Interner.value: looking every value up in the Map cost ~130 ns a record for a 16-char id in
 *   the emit profile, ~270 ns more for an id built by concatenation; `===` between two different
 *   fresh strings of the same length is a runtime call, ~35 ns, which the print comparison avoids.
 * - inlining budget (RecordEncoder.writeKey/writeString, Interner.admitValue): when one method
 *   wrote interned and inline strings alike, its copies at each call site used up TurboFan's
 *   inlining budget and left Interner.value, writeNumber and the tag writers as calls in the
 *   attribute loop (`node --trace-turbo-inlining`); with the interned case apart they are
 *   inlined, and ttlog's share of the emit profile falls (`npm run bench:profile`).
 */
import { loadavg } from 'node:os';
import { noopCandidate, ttlogCandidate, ttlogHandoffCandidate } from './candidates.ts';
import { measureThroughput, median } from './measure.ts';

const rounds = Number(process.argv[2] ?? 15);
const candidates = [noopCandidate(), ttlogCandidate(), ttlogHandoffCandidate()];
const loadBefore = loadavg()[0]!;
const [floor, ttlog, handoff] = await measureThroughput(candidates, {
  warmupRecords: 50_000,
  rounds,
  recordsPerSample: 100_000,
  yieldEvery: 1024,
});
const loadAfter = loadavg()[0]!;
for (const candidate of candidates) await candidate.close();

const added = median(ttlog!.samplesNs.map((ns, round) => ns - floor!.samplesNs[round]!));
console.log(
  `(a) ${floor!.medianNs.toFixed(0)} ns  (b) ${ttlog!.medianNs.toFixed(0)} ns  ` +
    `(b)/(a) ${ttlog!.ratioToA.toFixed(3)}  added by ttlog ${added.toFixed(0)} ns/record (median over ${rounds} rounds)`,
);
console.log(
  `(h) ${handoff!.medianNs.toFixed(0)} ns  (h)/(a) ${handoff!.ratioToA.toFixed(3)}  (h)/(b) ${handoff!.ratioToB.toFixed(3)}  ` +
    `CPU (h)/(a) ${handoff!.cpuRatioToA.toFixed(3)}  (b)/(a) ${ttlog!.cpuRatioToA.toFixed(3)}  (${handoff!.check})`,
);
console.log(`1-minute load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after`);
