/**
 * Configuration from `TTLOG_*` environment variables: each sets the default of its option, an
 * option given in code wins, and a value the variable does not take (or its option refuses) is
 * reported through a real `diag` logger once, naming the variable, and ignored. The variables are
 * set in this process for the in-process tests (and restored), and for a child process configured
 * by its environment alone.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readSnapshot, SnapshotExporter, TTLogProcessor } from '../../src/index.ts';
import { ttlogWarningsDuring } from '../support/diag-messages.ts';
import { withEnv } from '../support/env-vars.ts';
import { otel } from '../support/otel.ts';
import { waitForFile } from '../support/wait-for-file.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./fixtures/env-child.ts', import.meta.url));
const TSX_IN_WORKERS = new URL('../support/tsx-workers.mjs', import.meta.url).href;
const directories: string[] = [];

function freshDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-env-'));
  directories.push(directory);
  return directory;
}

function exporter(): SnapshotExporter {
  return new SnapshotExporter({ directory: freshDirectory(), serviceName: 'env' });
}

test('TTLOG_CAPACITY and TTLOG_MAX_RECORD_BYTES size the ring; options given in code win', async () => {
  await withEnv({ TTLOG_CAPACITY: '100', TTLOG_MAX_RECORD_BYTES: '256' }, () => {
    const fromEnvironment = new TTLogProcessor({ exporter: exporter() }).stats();
    assert.equal([fromEnvironment.capacity, fromEnvironment.maxRecordBytes], [128, 256]);
    const explicit = new TTLogProcessor({ exporter: exporter(), capacity: 16, maxRecordBytes: 512 }).stats();
    assert.equal([explicit.capacity, explicit.maxRecordBytes], [16, 512]);
  });
  const unset = new TTLogProcessor({ exporter: exporter() }).stats();
  assert.equal([unset.capacity, unset.maxRecordBytes], [8192, 1024], 'read when the processor is made');
});

test('a malformed value is reported once, naming the variable, and ignored', async () => {
  const warnings = await ttlogWarningsDuring(() =>
    withEnv({ TTLOG_CAPACITY: '16k', TTLOG_INTERVAL_MS: 'soon', TTLOG_CAPTURE_CRASHES: 'exit,segfault' }, () => {
      for (let i = 0; i < 3; i++) assert.is(new TTLogProcessor({ exporter: exporter() }).stats().capacity, 8192);
    }),
  );
  assert.equal(warnings, [
    'ttlog: TTLOG_CAPACITY="16k" ignored: it takes an integer',
    'ttlog: TTLOG_CAPTURE_CRASHES="exit,segfault" ignored: it takes true, false or a comma-separated list of uncaught-exception, unhandled-rejection, signal, exit, on-demand and SIG… names',
    'ttlog: TTLOG_INTERVAL_MS="soon" ignored: it takes an integer number of ms',
  ]);
});

test('TTLOG_RECORDER_THREAD=false writes on the main thread; TTLOG_HEAP_PRESSURE takes a share of the heap limit', async () => {
  await withEnv({ TTLOG_RECORDER_THREAD: 'false' }, () => {
    assert.is(new TTLogProcessor({ exporter: exporter() }).stats().recorderThread?.onMainThread, true);
  });
  const warnings = await ttlogWarningsDuring(() =>
    withEnv({ TTLOG_RECORDER_THREAD: 'maybe', TTLOG_HEAP_PRESSURE: '1.5' }, () => new TTLogProcessor({ exporter: exporter() })),
  );
  assert.equal(warnings, [
    'ttlog: TTLOG_HEAP_PRESSURE="1.5" ignored: it takes true, false or a share of the heap limit (0.9)',
    'ttlog: TTLOG_RECORDER_THREAD="maybe" ignored: it takes true or false',
  ]);
  const refused = await ttlogWarningsDuring(() => withEnv({ TTLOG_HEAP_PRESSURE: '0.0' }, () => new TTLogProcessor({ exporter: exporter() })));
  assert.equal(refused, ['ttlog: TTLOG_HEAP_PRESSURE="0.0" ignored: heapPressure.ratio must be a number between 0 and 1 (exclusive), got 0']);
});

test('a value its option refuses is reported and ignored, never thrown from the constructor', async () => {
  const warnings = await ttlogWarningsDuring(() =>
    withEnv({ TTLOG_CAPACITY: '1', TTLOG_WATCHDOG: '10', TTLOG_RETENTION_MAX_FILES: '0', TTLOG_SNAPSHOT_ON_SEVERITY: '30' }, () => {
      const processor = new TTLogProcessor({ exporter: exporter() });
      assert.is(processor.stats().capacity, 8192);
      assert.is(new SnapshotExporter().retention?.maxFiles, 100);
    }),
  );
  assert.equal(warnings, [
    'ttlog: TTLOG_RETENTION_MAX_FILES="0" ignored: retention.maxFiles must be a positive integer, got 0',
    'ttlog: TTLOG_CAPACITY="1" ignored: capacity must be an integer from 2 to 67108864, got 1',
    'ttlog: TTLOG_WATCHDOG="10" ignored: watchdog.thresholdMs must be an integer number of milliseconds from 50 to 2147483647, got 10',
    'ttlog: TTLOG_SNAPSHOT_ON_SEVERITY="30" ignored: snapshotOnSeverity.severityNumber must be an integer from 1 to 24, got 30',
  ]);
});

test('TTLOG_INTERVAL_MS turns on periodic snapshots; an explicit intervalMs wins', async () => {
  const directory = freshDirectory();
  const processor = await withEnv({ TTLOG_INTERVAL_MS: '30' }, () => new TTLogProcessor({ exporter: new SnapshotExporter({ directory, serviceName: 'env' }) }));
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  provider.getLogger('env').emit({ body: 'periodic from the environment' });
  while (!readdirSync(directory).some((name) => name.endsWith('-periodic.bin'))) await new Promise((resolve) => setTimeout(resolve, 10));
  await provider.shutdown();

  const quiet = freshDirectory();
  const explicit = await withEnv(
    { TTLOG_INTERVAL_MS: '30' },
    () => new TTLogProcessor({ exporter: new SnapshotExporter({ directory: quiet }), intervalMs: 600_000 }),
  );
  const quietProvider = new otel.LoggerProvider({ processors: [explicit as never] });
  quietProvider.getLogger('env').emit({ body: 'not periodic' });
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(readdirSync(quiet), []);
  await quietProvider.shutdown();
});

test('TTLOG_SNAPSHOT_ON_SEVERITY takes a severity name', async () => {
  const directory = freshDirectory();
  const processor = await withEnv(
    { TTLOG_SNAPSHOT_ON_SEVERITY: 'warn' },
    () => new TTLogProcessor({ exporter: new SnapshotExporter({ directory, serviceName: 'env' }) }),
  );
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  provider.getLogger('env').emit({ severityNumber: 13, severityText: 'WARN', body: 'a warning' });
  const name = await waitForFile(directory, '-error.bin');
  assert.equal(
    (await readSnapshot(join(directory, name))).records.map((record) => record.body),
    ['a warning'],
  );
  await provider.shutdown();
});

test('TTLOG_RETENTION_* set the limits an exporter does not; off lifts one; the option wins', async () => {
  await withEnv({ TTLOG_RETENTION_MAX_FILES: '7', TTLOG_RETENTION_MAX_BYTES: 'off', TTLOG_RETENTION_MAX_AGE_MS: '86400000' }, () => {
    assert.equal(new SnapshotExporter().retention, { maxFiles: 7, maxAgeMs: 86_400_000 });
    assert.equal(new SnapshotExporter({ retention: { maxFiles: 3, maxBytes: 1000 } }).retention, { maxFiles: 3, maxBytes: 1000, maxAgeMs: 86_400_000 });
    assert.is(new SnapshotExporter({ retention: false }).retention, undefined);
  });
  await withEnv({ TTLOG_RETENTION_MAX_FILES: 'OFF', TTLOG_RETENTION_MAX_BYTES: 'off', TTLOG_RETENTION_MAX_AGE_MS: undefined }, () => {
    assert.is(new SnapshotExporter().retention, undefined, 'every limit lifted: nothing to remove');
  });
});

test('a child process configured by its environment alone: ring size, crash capture, watchdog, directory, service', async () => {
  const directory = freshDirectory();
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--import', TSX_IN_WORKERS, CHILD], {
    cwd: ROOT,
    timeout: 60_000,
    env: {
      ...process.env,
      TTLOG_SNAPSHOT_DIR: directory,
      TTLOG_SERVICE_NAME: 'env-child',
      TTLOG_CAPACITY: '16',
      TTLOG_MAX_RECORD_BYTES: '256',
      TTLOG_CAPTURE_CRASHES: 'exit',
      TTLOG_WATCHDOG: '200',
    },
  });
  const reported = JSON.parse(stdout.trim()) as { capacity: number; maxRecordBytes: number; listeners: Record<string, number> };
  assert.equal(reported, { capacity: 16, maxRecordBytes: 256, listeners: { sigterm: 0, uncaughtException: 0 } }, 'only the exit trigger is on');
  const names = readdirSync(directory).sort();
  assert.equal(names.map((name) => name.replace(/^ttlog-env_child-\d+-\d{8}T\d{9}Z-\d+-/, '')).sort(), ['exit.bin', 'stall.bin']);
  const exit = await readSnapshot(join(directory, names.find((name) => name.endsWith('-exit.bin'))!));
  assert.is(exit.metadata.service, 'env-child');
  assert.equal(
    exit.records.map((record) => record.body),
    Array.from({ length: 16 }, (_, i) => `record ${24 + i}`),
    'the last 16 records: the ring held 16',
  );
});

test.after(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

test.run();
