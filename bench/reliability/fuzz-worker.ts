/**
 * A fuzz worker thread (started by fuzz-runner.ts): makes inputs `from` to `to` of a run from the
 * corpus it is sent, reads each (read-outcome.ts) and posts each outcome as it is known, so the
 * runner can tell a slow input from a stuck one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readSnapshot } from '../../src/index.ts';
import type { CorpusFile } from './fuzz-corpus.ts';
import { type GroundTruth, groundTruth, type Outcome, readOutcome } from './read-outcome.ts';
import { mutatedInput } from './snapshot-mutations.ts';

/** What the runner sends a worker. */
export interface FuzzWorkerSetup {
  readonly corpus: readonly CorpusFile[];
  readonly seed: number;
  readonly from: number;
  readonly to: number;
}

/** A worker's messages: ready once the corpus is read, then one per input, then finished. */
export type FuzzWorkerMessage =
  | { readonly ready: true }
  | { readonly finished: true }
  | {
      readonly index: number;
      readonly steps: readonly string[];
      readonly outcome: Outcome;
      readonly detail?: string;
      readonly milliseconds: number;
      readonly rssBytes: number;
    };

/** The original and donor files of input `index`: the corpus files take turns as the original. */
export interface FuzzSubject {
  readonly original: Buffer;
  readonly donors: readonly Buffer[];
}

export function fuzzSubject(corpus: readonly CorpusFile[], index: number): FuzzSubject {
  const originalAt = index % corpus.length;
  const donors = corpus.filter((_, at) => at !== originalAt).map((file) => Buffer.from(file.bytes));
  return { original: Buffer.from(corpus[originalAt]!.bytes), donors };
}

/** Every `LAST_EVERY`th input is also read with `last(n)`, a path of its own through the blocks. */
const LAST_EVERY = 4;

async function run(setup: FuzzWorkerSetup): Promise<void> {
  const subjects = setup.corpus.map((_, at) => fuzzSubject(setup.corpus, at));
  const truths: GroundTruth[] = [];
  for (const subject of subjects) truths.push(groundTruth(await readSnapshot(subject.original, { strict: true })));
  parentPort!.postMessage({ ready: true } satisfies FuzzWorkerMessage);
  for (let index = setup.from; index < setup.to; index++) {
    const started = performance.now();
    const subject = subjects[index % subjects.length]!;
    const input = mutatedInput(subject.original, subject.donors, setup.seed, index);
    const lastCount = index % LAST_EVERY === 0 ? 1 + (index % 97) : undefined;
    const verdict = await readOutcome(input.bytes, truths[index % truths.length]!, input.forged, lastCount);
    parentPort!.postMessage({
      index,
      steps: input.steps,
      ...verdict,
      milliseconds: performance.now() - started,
      rssBytes: process.memoryUsage.rss(),
    } satisfies FuzzWorkerMessage);
  }
  parentPort!.postMessage({ finished: true } satisfies FuzzWorkerMessage);
}

if (parentPort !== null) await run(workerData as FuzzWorkerSetup);
