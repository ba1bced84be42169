/**
 * The fast part of the mutation fuzz (bench/fuzz.ts, docs/reliability.md): a few hundred mutated
 * snapshot files, each read plainly, strictly and with `last(n)` in a worker thread under a time
 * bound. No input may hang, throw anything but a `SnapshotFormatError`, or read as records that
 * are not the original's without damage reported. The long run is `npm run fuzz`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildCorpus, type CorpusFile } from '../../bench/reliability/fuzz-corpus.ts';
import { runFuzz } from '../../bench/reliability/fuzz-runner.ts';
import { fuzzSubject } from '../../bench/reliability/fuzz-worker.ts';
import { DEFECTS, groundTruth, OUTCOMES, readOutcome } from '../../bench/reliability/read-outcome.ts';
import { MUTATIONS, mutatedInput } from '../../bench/reliability/snapshot-mutations.ts';
import { readSnapshot } from '../../src/index.ts';

let corpus: CorpusFile[] = [];

test.before(async () => {
  corpus = await buildCorpus(5);
});

test('the corpus files have several chunks each, for the chunk-level mutations to rearrange', async () => {
  for (const file of corpus) {
    const { metadata, damage } = await readSnapshot(file.bytes);
    assert.equal(damage, []);
    assert.ok(metadata.chunks >= 3, `${file.name} has ${metadata.chunks} chunks`);
  }
});

test('an input is made again, byte for byte, from its seed and index', () => {
  for (const index of [0, 1, 2, 17, 4242]) {
    const subject = fuzzSubject(corpus, index);
    const first = mutatedInput(subject.original, subject.donors, 9, index);
    const again = mutatedInput(subject.original, subject.donors, 9, index);
    assert.equal(again.steps, first.steps);
    assert.ok(again.bytes.equals(first.bytes));
    assert.not.ok(first.bytes.equals(subject.original) && first.steps.every((step) => step.startsWith('forged')), 'the input differs from its original');
  }
});

test('the classifier tells intact, reported, silent wrong and accepted forgery apart', async () => {
  const [early, orders] = corpus;
  const truth = groundTruth(await readSnapshot(orders!.bytes, { strict: true }));
  assert.is((await readOutcome(orders!.bytes, truth, false, 10)).outcome, 'intact');
  assert.is((await readOutcome(orders!.bytes.subarray(0, orders!.bytes.length - 100), truth, false, 10)).outcome, 'reported');
  // Another file of the same ring read as if it were this one: other records, no damage.
  assert.is((await readOutcome(early!.bytes, truth, false, 10)).outcome, 'silent-wrong');
  assert.is((await readOutcome(early!.bytes, truth, true, 10)).outcome, 'forgery-accepted');
});

test('300 mutated files: no hang, no untyped error, no silent wrong read, read paths agree', async () => {
  const report = await runFuzz({ inputs: 300, seed: 12, workers: 1, timeoutMs: 60_000 });
  assert.is(report.inputs, 300);
  const defects = OUTCOMES.filter((outcome) => DEFECTS.has(outcome) && report.outcomes[outcome] > 0);
  assert.equal(
    defects,
    [],
    report.findings.map((finding) => `${finding.outcome} at input ${finding.index} (${finding.steps.join(' + ')}): ${finding.detail}`).join('\n'),
  );
  for (const mutation of MUTATIONS) assert.ok(report.byMutation[mutation.name] !== undefined, `${mutation.name} was tried`);
  assert.ok(report.outcomes.reported > 150, `${report.outcomes.reported} inputs were reported as damaged`);
});

test.run();
