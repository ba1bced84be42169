/**
 * Runs the mutation fuzz: the input range is shared out among worker threads (fuzz-worker.ts),
 * and a watchdog ends a worker whose current input has run past its time bound, counts that input
 * as a hang and starts a new worker after it (as it does after an error that escapes a read). A hang cannot be caught from inside the thread that
 * hangs, and a read that never settles leaves no error to catch; a thread can be terminated.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { buildCorpus, type CorpusFile } from './fuzz-corpus.ts';
import { type FuzzWorkerMessage, type FuzzWorkerSetup, fuzzSubject } from './fuzz-worker.ts';
import { DEFECTS, OUTCOMES, type Outcome } from './read-outcome.ts';
import { mutatedInput } from './snapshot-mutations.ts';

export interface FuzzOptions {
  readonly inputs: number;
  readonly seed: number;
  readonly workers: number;
  /** An input that takes longer than this is a hang. */
  readonly timeoutMs: number;
  /** Where to write the inputs whose outcome is a defect (as `{index}.bin`); none when absent. */
  readonly saveDirectory?: string | undefined;
  /** Called every thousand inputs with the report so far. */
  readonly onProgress?: ((report: FuzzReport) => void) | undefined;
}

/** One input whose outcome is a defect, enough to make it again (`mutatedInput(…, seed, index)`). */
export interface FuzzFinding {
  readonly index: number;
  readonly steps: readonly string[];
  readonly outcome: Outcome;
  readonly detail: string;
}

export interface FuzzReport {
  readonly inputs: number;
  readonly seed: number;
  readonly seconds: number;
  readonly outcomes: Record<Outcome, number>;
  /** Outcomes per mutation: the mutation's name for single mutations, `stacked` for two or three. */
  readonly byMutation: Record<string, Record<Outcome, number>>;
  /** Defects, the first few of each outcome. */
  readonly findings: FuzzFinding[];
  readonly slowestMs: number;
  readonly maxRssBytes: number;
}

const FINDINGS_PER_OUTCOME = 20;
/** A worker registers tsx and imports the reader before its first input; that is not an input's time. */
const STARTUP_LIMIT_MS = 120_000;

function noOutcomes(): Record<Outcome, number> {
  return Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0])) as Record<Outcome, number>;
}

class FuzzTally {
  readonly outcomes = noOutcomes();
  readonly byMutation: Record<string, Record<Outcome, number>> = {};
  readonly findings: FuzzFinding[] = [];
  slowestMs = 0;
  maxRssBytes = 0;
  done = 0;

  private readonly started = performance.now();

  constructor(
    private readonly corpus: readonly CorpusFile[],
    private readonly options: FuzzOptions,
  ) {}

  report(): FuzzReport {
    return {
      inputs: this.done,
      seed: this.options.seed,
      seconds: (performance.now() - this.started) / 1000,
      outcomes: { ...this.outcomes },
      byMutation: structuredClone(this.byMutation),
      findings: this.findings.slice().sort((a, b) => OUTCOMES.indexOf(a.outcome) - OUTCOMES.indexOf(b.outcome) || a.index - b.index),
      slowestMs: this.slowestMs,
      maxRssBytes: this.maxRssBytes,
    };
  }

  add(index: number, steps: readonly string[], outcome: Outcome, detail = ''): void {
    this.done++;
    this.outcomes[outcome]++;
    const mutation = steps.length === 1 ? steps[0]! : 'stacked';
    this.byMutation[mutation] ??= noOutcomes();
    this.byMutation[mutation][outcome]++;
    if (!DEFECTS.has(outcome)) return;
    if (this.findings.filter((finding) => finding.outcome === outcome).length < FINDINGS_PER_OUTCOME) this.findings.push({ index, steps, outcome, detail });
    if (this.options.saveDirectory !== undefined) {
      const subject = fuzzSubject(this.corpus, index);
      mkdirSync(this.options.saveDirectory, { recursive: true });
      writeFileSync(join(this.options.saveDirectory, `${index}.bin`), mutatedInput(subject.original, subject.donors, this.options.seed, index).bytes);
    }
  }
}

/** Runs inputs [from, to) in worker threads started one after another, a new one after each hang. */
async function runRange(corpus: readonly CorpusFile[], options: FuzzOptions, tally: FuzzTally, from: number, to: number): Promise<void> {
  let next = from;
  while (next < to) {
    const setup: FuzzWorkerSetup = { corpus, seed: options.seed, from: next, to };
    const stop = await runWorker(setup, options.timeoutMs, (message) => {
      next = message.index + 1;
      tally.slowestMs = Math.max(tally.slowestMs, message.milliseconds);
      tally.maxRssBytes = Math.max(tally.maxRssBytes, message.rssBytes);
      tally.add(message.index, message.steps, message.outcome, message.detail);
      if (tally.done % 1000 === 0) options.onProgress?.(tally.report());
    });
    if (stop === undefined) return;
    const subject = fuzzSubject(corpus, stop.index);
    tally.add(stop.index, mutatedInput(subject.original, subject.donors, options.seed, stop.index).steps, stop.outcome, stop.detail);
    next = stop.index + 1;
  }
}

type InputMessage = Extract<FuzzWorkerMessage, { readonly index: number }>;

/** How a worker's run ended early: the input it was on, and what happened. */
interface Stop {
  readonly index: number;
  readonly outcome: 'hang' | 'untyped-error';
  readonly detail: string;
}

/** Resolves when the worker has done its range (undefined) or with the input it stopped on. */
function runWorker(setup: FuzzWorkerSetup, timeoutMs: number, onInput: (message: InputMessage) => void): Promise<Stop | undefined> {
  const script = new URL('./fuzz-worker.ts', import.meta.url).href;
  const worker = new Worker(new URL('../../spec/support/ts-worker.mjs', import.meta.url), { argv: [script], workerData: setup });
  let current = setup.from;
  let started = false;
  let deadline = Date.now() + STARTUP_LIMIT_MS;
  return new Promise((resolve, reject) => {
    const settle = (outcome: () => void) => {
      clearInterval(watchdog);
      worker.removeAllListeners();
      void worker.terminate();
      outcome();
    };
    const watchdog = setInterval(() => {
      if (Date.now() < deadline) return;
      if (started) settle(() => resolve({ index: current, outcome: 'hang', detail: `no outcome within ${timeoutMs} ms` }));
      else settle(() => reject(new Error(`fuzz worker did not start within ${STARTUP_LIMIT_MS} ms`)));
    }, 100);
    worker.on('message', (message: FuzzWorkerMessage) => {
      deadline = Date.now() + timeoutMs;
      if ('ready' in message) started = true;
      else if ('finished' in message) settle(() => resolve(undefined));
      else {
        onInput(message);
        current = message.index + 1;
      }
    });
    // An error that escapes the worker's reads (an unhandled rejection inside the reader, say) is
    // an untyped error of the input being read; the worker is replaced after it.
    worker.on('error', (error) =>
      settle(() => resolve({ index: current, outcome: 'untyped-error', detail: `escaped the read: ${String(error)}`.slice(0, 300) })),
    );
    worker.on('exit', (code) => settle(() => resolve({ index: current, outcome: 'untyped-error', detail: `the worker exited with code ${code}` })));
  });
}

/** Runs `options.inputs` mutated inputs and counts their outcomes. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const corpus = await buildCorpus(options.seed);
  const tally = new FuzzTally(corpus, options);
  const share = Math.ceil(options.inputs / options.workers);
  const ranges = Array.from({ length: options.workers }, (_, n) => [n * share, Math.min(options.inputs, (n + 1) * share)] as const).filter(
    ([from, to]) => from < to,
  );
  await Promise.all(ranges.map(([from, to]) => runRange(corpus, options, tally, from, to)));
  return tally.report();
}
