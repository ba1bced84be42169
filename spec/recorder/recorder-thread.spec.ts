/**
 * The recorder thread, end to end in child processes (fixtures/recorder-child.ts), which load
 * the TypeScript sources in worker threads too: snapshots written by the thread while the main
 * thread spins in a synchronous loop; the main-thread paths (`recorderThread: false`, an exporter
 * with a file system of its own); a thread that crashes at every request, whose snapshots are
 * written all the same and counted; a snapshot longer than the time limit in all; and a crash
 * while a background snapshot is in flight, which still leaves exactly one crash file.
 */
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readSnapshot } from '../../src/index.ts';
import { MAX_RESTARTS } from '../../src/recorder/recorder-thread.ts';
import { bodies, expectedBodies, makeDirectory, RECORDS, readSnapshots, removeDirectory, runChild } from '../triggers/fixtures/harness.ts';

const SNAPSHOTS = 6;

const SCRIPT = fileURLToPath(new URL('./fixtures/recorder-child.ts', import.meta.url));
const CRASH_RECORDER = new URL('./fixtures/crash-recorder.mjs', import.meta.url).href;
const SLOW_DISK = new URL('./fixtures/slow-disk.mjs', import.meta.url).href;
const cleanup: string[] = [];

interface Metrics {
  readonly [reason: string]: { readonly written: number; readonly bytes: number };
}
interface BusyReport {
  readonly seenWhileBusy: boolean;
  readonly path: string;
  readonly exists: boolean;
  readonly stats: { readonly crashes: number; readonly onMainThread: boolean };
  readonly metrics: Metrics;
}

async function run<T>(scenario: string, nodeArgs: readonly string[] = []): Promise<{ report: T; directory: string; stderr: string }> {
  const directory = makeDirectory();
  cleanup.push(directory);
  const result = await runChild(scenario, directory, { script: SCRIPT, nodeArgs, env: { TTLOG_SPEC_DIAG: '1' } });
  assert.is(result.code, 0, result.stderr);
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  return { report: JSON.parse(line) as T, directory, stderr: result.stderr };
}

async function checkBusy(scenario: string, byThread: boolean) {
  const { report, directory, stderr } = await run<BusyReport>(scenario);
  assert.is(report.seenWhileBusy, byThread, `the file appeared while the main thread spun: ${stderr}`);
  assert.ok(report.exists);
  const busy = (await readSnapshots(directory)).filter((file) => file.name.endsWith('-busy.bin'));
  assert.is(busy.length, 1);
  const { snapshot } = busy[0]!;
  assert.equal(bodies(snapshot), expectedBodies(RECORDS), 'the records from before the request, not the one logged after the loop');
  assert.is(snapshot.metadata.service, 'recorder-child');
  assert.equal(snapshot.metadata.resource, { 'service.name': 'recorder-child', scenario });
  assert.is(report.metrics.busy?.written, 1, 'the snapshot is counted in the self-metrics');
  assert.is(report.metrics.busy?.bytes, statSync(report.path).size, 'with the size of its file');
  assert.is(report.metrics.shutdown?.written, undefined, 'collected before the shutdown snapshot');
  assert.equal(report.stats, { crashes: 0, onMainThread: !byThread });
  return stderr;
}

test('a snapshot asked for while the main thread spins is written by the recorder thread during the loop', async () => {
  const stderr = await checkBusy('busy', true);
  assert.not.match(stderr, 'ttlog:', 'nothing to report');
});

test('recorderThread: false writes on the main thread: the file appears only once the loop has ended', async () => {
  await checkBusy('busy-main', false);
});

test('an exporter with a fileSystem of its own writes on the main thread, which is the thread that has it', async () => {
  await checkBusy('busy-own-fs', false);
});

test('a snapshot that takes the thread longer than timeoutMillis in all resolves: the thread tells the main thread it is alive', async () => {
  const { report, directory } = await run<{ ms: number; timeoutMillis: number; path: string; stats: BusyReport['stats'] }>('slow', ['--import', SLOW_DISK]);
  assert.ok(report.ms > report.timeoutMillis, `took ${Math.round(report.ms)} ms, so the limit was passed in all`);
  assert.equal(report.stats, { crashes: 0, onMainThread: false });
  const slow = await readSnapshot(report.path);
  assert.is(slow.metadata.counters.captured, 65_536);
  assert.equal(slow.damage, []);
  assert.ok(report.path.startsWith(directory));
});

test('a recorder thread that crashes mid-request: the request is written on the main thread, the thread replaced, then given up', async () => {
  const { report, directory, stderr } = await run<{ paths: string[]; stats: BusyReport['stats']; metrics: Metrics }>('thread-crash', [
    '--import',
    CRASH_RECORDER,
  ]);
  assert.is(report.paths.length, SNAPSHOTS);
  const files = await readSnapshots(directory);
  for (let round = 0; round < SNAPSHOTS; round++) {
    const file = files.find((candidate) => candidate.name.endsWith(`-round${round}.bin`));
    assert.ok(file, `round ${round} has its file`);
    assert.ok(bodies(file.snapshot).includes(`round ${round} 0`), `round ${round}'s record is in it`);
    assert.is(report.metrics[`round${round}`]?.written, 1, `round ${round} is counted once`);
  }
  assert.equal(report.stats, { crashes: MAX_RESTARTS + 1, onMainThread: true });
  const reports = stderr.split('\n').filter((line) => line.startsWith('ttlog: the recorder thread stopped (the recorder thread crash under test)'));
  assert.is(reports.length, MAX_RESTARTS + 1, stderr);
  assert.is(reports.filter((line) => line.endsWith('it is started again')).length, MAX_RESTARTS);
  assert.match(reports.at(-1)!, 'snapshots are written on the main thread from now on');
});

test('an uncaught exception while the thread writes a background snapshot: exactly one crash file, every file whole', async () => {
  const directory = makeDirectory();
  cleanup.push(directory);
  const result = await runChild('crash-in-flight', directory, { script: SCRIPT });
  assert.is(result.code, 1, 'the exit code of an uncaught exception, as without ttlog');
  assert.match(result.stderr, 'the crash under test');
  const files = await readSnapshots(directory);
  const crashes = files.filter((file) => file.snapshot.metadata.reason === 'uncaught-exception');
  assert.is(crashes.length, 1, files.map((file) => file.name).join(', '));
  assert.is(crashes[0]!.snapshot.records.length, 65_536);
  // The background snapshot may have been finished or not when the process died; never torn.
  for (const file of files) assert.ok(file.name.endsWith('-uncaught_exception.bin') || file.name.endsWith('-busy.bin'), file.name);
});

test.after(() => {
  for (const directory of cleanup) removeDirectory(directory);
});

test.run();
