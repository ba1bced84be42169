/**
 * Crash capture, end to end: each test runs fixtures/crash-child.ts twice as a real child process,
 * with ttlog and without (`plain`), and checks that the ttlog child left exactly one crash snapshot
 * holding every record logged before the trigger, with the right reason and cause, and that it
 * ended exactly as the plain child did (same exit code or signal). The children of all tests
 * start at once (a few at a time) and each test awaits its own.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SnapshotExporter, type SnapshotMetadata, TTLogProcessor } from '../../src/index.ts';
import { waitForFile } from '../support/wait-for-file.ts';
import {
  bodies,
  type ChildOptions,
  type ChildResult,
  expectedBodies,
  makeDirectory,
  RECORDS,
  readSnapshots,
  removeDirectory,
  runChild,
  type SnapshotFile,
} from './fixtures/harness.ts';

interface Outcome {
  readonly withTtlog: ChildResult;
  readonly plain: ChildResult | undefined;
  readonly files: SnapshotFile[];
}

const directories: string[] = [];

function run(scenario: string, options: ChildOptions = {}, compare = true): Promise<Outcome> {
  const directory = makeDirectory();
  directories.push(directory);
  const withTtlog = runChild(scenario, directory, { ...options, mode: 'ttlog' });
  const plain = compare ? runChild(scenario, makePlainDirectory(), { ...options, mode: 'plain' }) : undefined;
  return Promise.all([withTtlog, plain]).then(async ([ttlogResult, plainResult]) => ({
    withTtlog: ttlogResult,
    plain: plainResult,
    files: await readSnapshots(directory),
  }));
}

function makePlainDirectory(): string {
  const directory = makeDirectory();
  directories.push(directory);
  return directory;
}

function sendWhenReady(signal: NodeJS.Signals): ChildOptions {
  return { onReady: (kill) => kill(signal) };
}

const outcomes = {
  throw: run('throw'),
  reject: run('reject'),
  rejectWarn: run('reject-warn', { env: { NODE_OPTIONS: '--unhandled-rejections=warn' } }),
  rejectWarnWithErrorCode: run('reject', { nodeArgs: ['--unhandled-rejections=warn-with-error-code'] }),
  sigterm: run('signal', sendWhenReady('SIGTERM')),
  sigint: run('signal', sendWhenReady('SIGINT')),
  sigtermHandled: run('signal-handled', sendWhenReady('SIGTERM')),
  exit3: run('exit-3'),
  throwSurvived: run('throw-survived'),
  normalExit: run('normal-exit'),
};

/** The child ended as it would have without ttlog, and neither was killed by the test's timeout. */
function assertSameEnding(outcome: Outcome): void {
  assert.ok(outcome.withTtlog.signal !== 'SIGKILL', `the child timed out: ${outcome.withTtlog.stderr}`);
  assert.equal({ code: outcome.withTtlog.code, signal: outcome.withTtlog.signal }, { code: outcome.plain!.code, signal: outcome.plain!.signal });
}

/** Exactly one file, of this reason, holding every record logged before the trigger; returns its metadata. */
function onlySnapshot(outcome: Outcome, reason: string): SnapshotMetadata {
  assert.equal(
    outcome.files.map((file) => file.snapshot.metadata.reason),
    [reason],
    `files: ${outcome.files.map((file) => file.name).join(', ')}; stderr: ${outcome.withTtlog.stderr}`,
  );
  const { snapshot } = outcome.files[0]!;
  assert.equal(bodies(snapshot), expectedBodies(RECORDS));
  assert.equal(snapshot.damage, []);
  assert.is(snapshot.metadata.service, 'crash-child');
  return snapshot.metadata;
}

test('an uncaught exception: snapshot with type, message and stack; Node still prints it and exits 1', async () => {
  const outcome = await outcomes.throw;
  assertSameEnding(outcome);
  assert.is(outcome.withTtlog.code, 1);
  assert.match(outcome.withTtlog.stderr, 'the crash under test');
  const { cause } = onlySnapshot(outcome, 'uncaught-exception');
  assert.is(cause?.type, 'TypeError');
  assert.is(cause?.message, 'the crash under test');
  assert.is(cause?.origin, 'uncaughtException');
  assert.match(String(cause?.stack), /crash-child\.ts/);
});

test('an unhandled rejection in the default mode: one snapshot, not also an uncaught-exception or exit one', async () => {
  const outcome = await outcomes.reject;
  assertSameEnding(outcome);
  assert.is(outcome.withTtlog.code, 1);
  const { cause } = onlySnapshot(outcome, 'unhandled-rejection');
  assert.is(cause?.type, 'RangeError');
  assert.is(cause?.message, 'the rejection under test');
  assert.is(cause?.origin, 'unhandledRejection');
});

test('--unhandled-rejections=warn (from NODE_OPTIONS): a snapshot, the process lives on and exits normally', async () => {
  const outcome = await outcomes.rejectWarn;
  assertSameEnding(outcome);
  assert.is(outcome.withTtlog.code, 0);
  assert.match(outcome.withTtlog.stderr, 'the rejection under test'); // Node's warning is still printed
  const reasons = outcome.files.map((file) => file.snapshot.metadata.reason).sort();
  assert.equal(reasons, ['exit', 'unhandled-rejection']);
  const rejection = outcome.files.find((file) => file.snapshot.metadata.reason === 'unhandled-rejection')!.snapshot;
  assert.equal(bodies(rejection), expectedBodies(RECORDS));
  assert.is(rejection.metadata.cause?.message, 'the rejection under test');
});

test('--unhandled-rejections=warn-with-error-code: ttlog does not listen (that would change the exit code); the exit snapshot has code 1', async () => {
  const outcome = await outcomes.rejectWarnWithErrorCode;
  assertSameEnding(outcome);
  assert.is(outcome.withTtlog.code, 1);
  const { cause } = onlySnapshot(outcome, 'exit');
  assert.is(cause?.exitCode, 1);
});

test('SIGTERM with no handler of the application: snapshot, then the process dies by SIGTERM', async () => {
  const outcome = await outcomes.sigterm;
  assertSameEnding(outcome);
  assert.is(outcome.withTtlog.signal, 'SIGTERM');
  assert.is(onlySnapshot(outcome, 'signal').cause?.signal, 'SIGTERM');
});

test('SIGINT with no handler of the application: snapshot, then the process dies by SIGINT', async () => {
  const outcome = await outcomes.sigint;
  assertSameEnding(outcome);
  assert.is(outcome.withTtlog.signal, 'SIGINT');
  assert.is(onlySnapshot(outcome, 'signal').cause?.signal, 'SIGINT');
});

test("SIGTERM with the application's own handler: snapshot, the handler runs and exits 0, no second snapshot", async () => {
  const outcome = await outcomes.sigtermHandled;
  assertSameEnding(outcome);
  assert.is(outcome.withTtlog.code, 0);
  assert.is(onlySnapshot(outcome, 'signal').cause?.signal, 'SIGTERM');
});

test('process.exit(3): a synchronous snapshot with the exit code; the code stays 3', async () => {
  const outcome = await outcomes.exit3;
  assertSameEnding(outcome);
  assert.is(outcome.withTtlog.code, 3);
  assert.is(onlySnapshot(outcome, 'exit').cause?.exitCode, 3);
});

test('the end of the event loop: an exit snapshot with code 0', async () => {
  const outcome = await outcomes.normalExit;
  assertSameEnding(outcome);
  assert.is(outcome.withTtlog.code, 0);
  assert.is(onlySnapshot(outcome, 'exit').cause?.exitCode, 0);
});

test('an application that survives uncaught exceptions through its own handler gets a snapshot for each', async () => {
  const outcome = await outcomes.throwSurvived;
  assertSameEnding(outcome);
  assert.is(outcome.withTtlog.code, 0);
  // The second exception's handler exits at once: the exit event adds no third file.
  assert.equal(
    outcome.files.map((file) => file.snapshot.metadata.reason),
    ['uncaught-exception', 'uncaught-exception'],
  );
  assert.equal(
    outcome.files.map((file) => file.snapshot.metadata.cause?.message),
    ['survived 1', 'survived 2'],
  );
  assert.equal(bodies(outcome.files[1]!.snapshot), [...expectedBodies(RECORDS), 'handled 0']);
});

test('crash capture adds one listener per event however many processors use it, and shutdown removes them', async () => {
  const events = ['uncaughtExceptionMonitor', 'exit', 'SIGTERM', 'SIGINT', 'SIGUSR2'] as const;
  const count = () => events.map((event) => process.listenerCount(event));
  const before = count();
  const directory = makePlainDirectory();
  const processors = [1, 2].map(() => new TTLogProcessor({ exporter: new SnapshotExporter({ directory }), captureCrashes: true }));
  assert.equal(
    count(),
    before.map((n) => n + 1),
  );
  const onlyExit = new TTLogProcessor({
    exporter: new SnapshotExporter({ directory }),
    captureCrashes: { signals: false, onDemandSignal: false, uncaughtException: false, unhandledRejection: false },
  });
  assert.equal(
    count(),
    before.map((n) => n + 1),
  );
  for (const processor of processors) await processor.shutdown();
  assert.equal(count(), [before[0]!, before[1]! + 1, before[2]!, before[3]!, before[4]!], 'only the exit listener is still needed');
  await onlyExit.shutdown();
  assert.equal(count(), before);
});

test('the on-demand signal (SIGUSR2) writes a snapshot and the process keeps running', async () => {
  const directory = makeDirectory();
  directories.push(directory);
  const result = await runChild('on-demand', directory, {
    onReady: async (kill) => {
      kill('SIGUSR2');
      await waitForFile(directory, '-on_demand.bin');
      kill('SIGTERM'); // still alive to receive it: SIGUSR2 did not end it
    },
  });
  assert.is(result.signal, 'SIGTERM');
  const files = await readSnapshots(directory);
  assert.equal(
    files.map((file) => file.snapshot.metadata.reason),
    ['on-demand', 'signal'],
  );
  const onDemand = files[0]!.snapshot;
  assert.equal(bodies(onDemand), expectedBodies(RECORDS));
  assert.is(onDemand.metadata.cause?.signal, 'SIGUSR2');
});

test.after(async () => {
  await Promise.allSettled(Object.values(outcomes));
  for (const directory of directories) removeDirectory(directory);
});

test.run();
