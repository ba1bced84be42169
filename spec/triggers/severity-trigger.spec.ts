/**
 * The severity trigger, end to end (fixtures/crash-child.ts, scenario `error-record`): the child
 * logs 100 INFO records, one ERROR, 5 INFO, a storm of 200 records above ERROR and 5 more INFO,
 * all in one tick, waits for the snapshot, then logs one more ERROR and exits 300 ms later.
 * The snapshot (reason `error`) is taken after the post-trigger window, so the records after the
 * error are in it; the storm and the later error fall under the rate limit: one file in all.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SnapshotExporter, TTLogProcessor } from '../../src/index.ts';
import { otel } from '../support/otel.ts';
import { waitForFile } from '../support/wait-for-file.ts';
import { bodies, expectedBodies, makeDirectory, RECORDS, readSnapshots, removeDirectory, runChild } from './fixtures/harness.ts';

const cleanup: string[] = [];

test('an error record: one snapshot after the window, holding what came before and right after it', async () => {
  const directory = makeDirectory();
  cleanup.push(directory);
  const result = await runChild('error-record', directory);
  assert.is(result.code, 0, result.stderr);
  const files = await readSnapshots(directory);
  assert.equal(
    files.map((file) => file.snapshot.metadata.reason),
    ['error'],
    'the storm and the later error are rate-limited',
  );
  const { snapshot } = files[0]!;
  assert.equal(bodies(snapshot), [
    ...expectedBodies(RECORDS),
    'the error 0',
    ...expectedBodies(5, 'after the error'),
    ...expectedBodies(200, 'error storm'),
    ...expectedBodies(5, 'after the storm'),
  ]);
  assert.equal(snapshot.metadata.cause, { severityNumber: 17, triggeringRecords: 201 });
});

test('severities below the threshold and records without one never trigger; every level above does', async () => {
  const directory = makeDirectory();
  cleanup.push(directory);
  const processor = new TTLogProcessor({
    exporter: new SnapshotExporter({ directory }),
    snapshotOnSeverity: { severityNumber: 13, windowMs: 0, minIntervalMs: 0 },
  });
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  const logger = provider.getLogger('severity');
  for (const severityNumber of [1, 5, 9, 12]) logger.emit({ severityNumber, body: `below ${severityNumber}` });
  logger.emit({ body: 'no severity' });
  logger.emit({ severityNumber: 24, body: 'fatal 4' });
  await waitForFile(directory, '-error.bin');
  const [file] = await readSnapshots(directory);
  assert.is(file!.snapshot.metadata.reason, 'error');
  // Had any earlier record triggered, it would be the first severity here and the count would be higher.
  assert.equal(file!.snapshot.metadata.cause, { severityNumber: 24, triggeringRecords: 1 });
  assert.is(bodies(file!.snapshot).at(-1), 'fatal 4');
  await provider.shutdown();
});

test('shutdown cancels a scheduled severity snapshot', async () => {
  const directory = makeDirectory();
  cleanup.push(directory);
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory }), snapshotOnSeverity: { windowMs: 60_000 } });
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  provider.getLogger('severity').emit({ severityNumber: 17, body: 'an error' });
  await provider.shutdown();
  assert.equal(
    (await readSnapshots(directory)).map((file) => file.snapshot.metadata.reason),
    ['shutdown'],
  );
});

test.after(() => {
  for (const directory of cleanup) removeDirectory(directory);
});

test.run();
