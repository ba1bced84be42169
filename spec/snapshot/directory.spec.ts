/**
 * The snapshot directory, walked one component at a time instead of Node's recursive mkdir,
 * which spins without end under /proc. There every snapshot path fails at once with an error
 * naming the component that cannot be made: snapshot(), forceFlush(), provider.shutdown(), and
 * the synchronous exit snapshot, run in a real child process so that a spin can be outlasted. A
 * path through a regular file names that file; a symlinked directory still works.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SnapshotExporter, TTLogProcessor } from '../../src/index.ts';
import { openRingBuffer } from '../../src/record/ring-layout.ts';
import { SnapshotWriter } from '../../src/snapshot/snapshot-writer.ts';
import { diagErrorsDuring } from '../support/diag-messages.ts';
import { otel } from '../support/otel.ts';
import { type Settlement, settled } from '../support/settled.ts';
import { skipTest } from '../support/skip.ts';
import { runChild } from '../triggers/fixtures/harness.ts';

const root = mkdtempSync(join(tmpdir(), 'ttlog-'));
/** A directory under /proc that can never be made (mkdir there fails with ENOENT though the parent exists). */
const UNDER_PROC = `/proc/self/ttlog-${process.pid}/snapshots`;
/** Far more than a failing walk needs, far less than the exporter's default timeout: a rejection this fast comes from the walk. */
const PROMPTLY_MS = 3000;

function loggingProvider(directory: string) {
  const exporter = new SnapshotExporter({ directory, serviceName: 'walk' });
  const processor = new TTLogProcessor({ exporter, capacity: 16 });
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  provider.getLogger('walk').emit({ severityNumber: 9, body: 'a record' });
  return { processor, provider };
}

const CANNOT_CREATE = new RegExp(`/proc/self/ttlog-${process.pid} cannot be created \\(ENOENT`);

if (process.platform === 'linux' && existsSync('/proc/self')) {
  test('a directory under /proc: snapshot(), forceFlush() and provider.shutdown() reject at once, naming the component', async () => {
    const { processor, provider } = loggingProvider(UNDER_PROC);
    const outcomes: Record<string, Settlement> = {};
    const errors = await diagErrorsDuring(async () => {
      outcomes.snapshot = await settled(processor.snapshot('manual'), PROMPTLY_MS);
      outcomes.forceFlush = await settled(provider.forceFlush(), PROMPTLY_MS);
      outcomes.shutdown = await settled(provider.shutdown(), PROMPTLY_MS);
    });
    for (const [call, { error, ms }] of Object.entries(outcomes)) {
      assert.ok(ms < PROMPTLY_MS, `${call} took ${ms} ms`);
      assert.is(error?.code, 'ENOENT', call);
      assert.match(String(error?.message), CANNOT_CREATE, call);
      assert.match(String(error?.message), /cannot use snapshot directory \/proc\/self\/ttlog-\d+\/snapshots/, call);
    }
    assert.is(errors.length, 3, errors.join('\n'));
    assert.ok(
      errors.every((message) => CANNOT_CREATE.test(message)),
      errors.join('\n'),
    );
  });

  test('a directory under /proc: the exit snapshot of a real process fails at once, is reported, and the process exits as it would', async () => {
    const started = performance.now();
    const result = await runChild('normal-exit', UNDER_PROC, { env: { TTLOG_SPEC_DIAG: '1' } });
    const ms = performance.now() - started;
    assert.is(result.signal, null, `the child was killed after ${ms} ms (it spun in mkdir)`);
    assert.is(result.code, 0, result.stderr);
    assert.match(result.stderr, /ttlog: snapshot to \/proc\/self\/ttlog-.* failed: .*cannot be created \(ENOENT/);
  });
} else {
  for (const name of ['a directory under /proc (async, sync, a real process)']) skipTest(test, name, 'needs Linux /proc');
}

test('a path through a regular file fails with ENOTDIR naming that file (async and sync), and creates nothing', async () => {
  const parent = mkdtempSync(join(root, 'file-'));
  const file = join(parent, 'regular-file');
  writeFileSync(file, 'keep me');
  const directory = join(file, 'a', 'b');
  const { processor, provider } = loggingProvider(directory);
  const writer = new SnapshotWriter({ directory, serviceName: 'walk' });
  let thrown: NodeJS.ErrnoException | undefined;
  let rejected: NodeJS.ErrnoException | undefined;
  await diagErrorsDuring(async () => {
    rejected = (await settled(processor.snapshot('manual'), PROMPTLY_MS)).error;
    try {
      writer.writeSync({ ring: openRingBuffer(processor.handle.buffer), reason: 'exit' });
    } catch (error) {
      thrown = error as NodeJS.ErrnoException;
    }
  });
  for (const error of [rejected, thrown]) {
    assert.is(error?.code, 'ENOTDIR');
    assert.ok(String(error?.message).includes(`${file} is not a directory (ENOTDIR)`), String(error?.message));
  }
  assert.equal(readdirSync(parent), ['regular-file']);
  await provider.shutdown().catch(() => undefined);
});

test('missing components are made one by one; a symlink to a directory is followed', async () => {
  const parent = mkdtempSync(join(root, 'walk-'));
  const target = join(parent, 'real');
  mkdirSync(target);
  symlinkSync(target, join(parent, 'link'));
  const directory = join(parent, 'link', 'x', 'y', 'z');
  const path = await new TTLogProcessor({ exporter: new SnapshotExporter({ directory }), capacity: 8 }).snapshot('walk');
  assert.is(dirname(path), directory);
  assert.ok(existsSync(join(target, 'x', 'y', 'z')));
});

test.after(() => {
  otel.diag.disable();
  rmSync(root, { recursive: true, force: true });
});

test.run();
