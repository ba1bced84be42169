/**
 * Worker failures, end to end (fixtures/crash-child.ts with fixtures/crash-worker.ts): a worker
 * attached to the ring throws, or runs out of memory under small resourceLimits; the main thread,
 * which watches it through `processor.watchWorker`, writes one snapshot (reason `worker-error`)
 * holding the main thread's and the worker's records, and then crashes exactly as it does
 * without ttlog (nobody else listens for the worker's `error`).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bodies, expectedBodies, makeDirectory, RECORDS, readSnapshots, removeDirectory, runChild, WORKER_RECORDS } from './fixtures/harness.ts';

const directories: string[] = [];

async function run(scenario: string) {
  const directory = makeDirectory();
  const plainDirectory = makeDirectory();
  directories.push(directory, plainDirectory);
  const [withTtlog, plain] = await Promise.all([runChild(scenario, directory), runChild(scenario, plainDirectory, { mode: 'plain' })]);
  return { withTtlog, plain, files: await readSnapshots(directory) };
}

const outcomes = { throw: run('worker-throw'), oom: run('worker-oom') };

async function check(outcome: Awaited<ReturnType<typeof run>>) {
  assert.equal({ code: outcome.withTtlog.code, signal: outcome.withTtlog.signal }, { code: outcome.plain.code, signal: outcome.plain.signal });
  assert.is(outcome.withTtlog.code, 1, outcome.withTtlog.stderr);
  assert.equal(
    outcome.files.map((file) => file.snapshot.metadata.reason),
    ['worker-error'],
    `exactly one crash snapshot, not also an uncaught-exception or exit one: ${outcome.withTtlog.stderr}`,
  );
  const { snapshot } = outcome.files[0]!;
  const mainRecords = snapshot.records.filter((record) => record.producer === 0).map((record) => String(record.body));
  const workerRecords = snapshot.records.filter((record) => record.producer !== 0).map((record) => String(record.body));
  assert.equal(mainRecords, expectedBodies(RECORDS));
  assert.equal(workerRecords, expectedBodies(WORKER_RECORDS, 'worker record'));
  assert.is(bodies(snapshot).length, RECORDS + WORKER_RECORDS);
  return snapshot.metadata.cause;
}

test('a worker that throws: a worker-error snapshot with its records and its error; the main thread crashes as before', async () => {
  const cause = await check(await outcomes.throw);
  assert.is(cause?.type, 'SyntaxError');
  assert.is(cause?.message, 'the worker crash under test');
  assert.is(cause?.origin, 'worker');
  assert.type(cause?.threadId, 'number');
});

test('a worker out of memory (ERR_WORKER_OUT_OF_MEMORY): a worker-error snapshot with its records', async () => {
  const cause = await check(await outcomes.oom);
  assert.is(cause?.code, 'ERR_WORKER_OUT_OF_MEMORY');
});

test.after(async () => {
  await Promise.allSettled(Object.values(outcomes));
  for (const directory of directories) removeDirectory(directory);
});

test.run();
