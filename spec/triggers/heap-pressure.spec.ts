/**
 * The heap-pressure trigger, end to end: a child run with a small V8 heap grows it past the
 * trigger's share of `heap_size_limit`, holds it there for several looks, lets it go and grows it
 * again. One snapshot per episode (reason `heap-pressure`), with the heap's figures as its cause.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bodies, expectedBodies, makeDirectory, RECORDS, readSnapshots, removeDirectory, runChild } from './fixtures/harness.ts';

const cleanup: string[] = [];

test('a heap past its share of the limit writes one heap-pressure snapshot per episode', async () => {
  const directory = makeDirectory();
  cleanup.push(directory);
  const result = await runChild('heap-pressure', directory, { nodeArgs: ['--max-old-space-size=96', '--expose-gc'] });
  assert.is(result.code, 0, result.stderr);
  const { afterFirstEpisode, ratio } = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { afterFirstEpisode: number; ratio: number };
  assert.is(afterFirstEpisode, 1, 'one file while the heap stayed high');
  const files = await readSnapshots(directory);
  assert.equal(
    files.map((file) => file.snapshot.metadata.reason),
    ['heap-pressure', 'heap-pressure'],
    'a second episode after the heap fell back',
  );
  for (const { snapshot } of files) {
    const cause = snapshot.metadata.cause ?? {};
    assert.is(cause.ratio, ratio);
    assert.ok(Number(cause.usedHeapBytes) >= ratio * Number(cause.heapSizeLimitBytes), JSON.stringify(cause));
    assert.equal(bodies(snapshot).slice(0, RECORDS), expectedBodies(RECORDS));
  }
});

test.after(() => {
  for (const directory of cleanup) removeDirectory(directory);
});

test.run();
