/**
 * Periodic snapshots. End to end (fixtures/crash-child.ts, scenario `periodic`, every 100 ms):
 * the child logs 100 records in one tick, waits for the first periodic snapshot, then stays idle
 * for several intervals before it exits: nothing new was written, so there is no second one.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SnapshotExporter, TTLogProcessor } from '../../src/index.ts';
import { otel } from '../support/otel.ts';
import { waitForFiles } from '../support/wait-for-file.ts';
import { bodies, expectedBodies, makeDirectory, RECORDS, readSnapshots, removeDirectory, runChild } from './fixtures/harness.ts';

const cleanup: string[] = [];

test('a periodic snapshot holds the records, and an idle interval writes none', async () => {
  const directory = makeDirectory();
  cleanup.push(directory);
  const result = await runChild('periodic', directory);
  assert.is(result.code, 0, result.stderr);
  const files = await readSnapshots(directory);
  assert.equal(
    files.map((file) => file.snapshot.metadata.reason),
    ['periodic'],
  );
  assert.equal(bodies(files[0]!.snapshot), expectedBodies(RECORDS));
});

test('new records after a periodic snapshot lead to another one, with them in it', async () => {
  const directory = makeDirectory();
  cleanup.push(directory);
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory }), intervalMs: 20 });
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  const logger = provider.getLogger('periodic');
  logger.emit({ body: 'first' });
  await waitForFiles(directory, '-periodic.bin', 1);
  logger.emit({ body: 'second' });
  await waitForFiles(directory, '-periodic.bin', 2);
  await provider.shutdown();
  const files = (await readSnapshots(directory)).filter((file) => file.snapshot.metadata.reason === 'periodic');
  assert.equal(
    files.map((file) => bodies(file.snapshot)),
    [['first'], ['first', 'second']],
  );
});

test.after(() => {
  for (const directory of cleanup) removeDirectory(directory);
});

test.run();
