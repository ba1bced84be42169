import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertRecovered, recover, runPersistChild } from './fixtures/persist-harness.ts';

const INTERVAL_MS = 100;

function withDirectory(run: (directory: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const directory = mkdtempSync(join(tmpdir(), 'ttlog-persist-death-'));
    try {
      await run(directory);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  };
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(
    `with captureCrashes and persist, a child blocked in a synchronous loop dies by ${signal} within a second, as without ttlog, and its records are recovered`,
    withDirectory(async (directory) => {
      const [withTtlog, plain] = await Promise.all([
        runPersistChild('blocked', directory, { intervalMs: INTERVAL_MS, onReady: async () => signal }),
        runPersistChild('plain-blocked', join(directory, 'plain'), { onReady: async () => signal }),
      ]);
      assert.is(plain.signal, signal, plain.stderr);
      assert.is(withTtlog.signal, plain.signal, withTtlog.stderr);
      assert.ok(withTtlog.endedAt - withTtlog.signalledAt! < 1000, `died ${withTtlog.endedAt - withTtlog.signalledAt!} ms after the signal`);
      const snapshots = await recover(directory);
      assert.is(snapshots.length, 1);
      // The main thread blocked after its last report: everything reported by then was persisted.
      assertRecovered(snapshots[0]!, withTtlog.committed, withTtlog.signalledAt! - 2 * INTERVAL_MS, signal);
      assert.ok(snapshots[0]!.records.some((record) => record.attributes.thread === 'main'));
    }),
  );
}

test(
  'a child that exhausts V8 heap is recovered: every record it reported before, in order, none torn',
  withDirectory(async (directory) => {
    const result = await runPersistChild('heap', directory, { intervalMs: INTERVAL_MS, nodeArgs: ['--max-old-space-size=64'] });
    assert.ok(result.code !== 0 || result.signal !== null, 'the child died');
    assert.match(result.stderr, /heap/i);
    const snapshots = await recover(directory);
    assert.is(snapshots.length, 1);
    // The child died after its last report: what was committed two intervals before that is there.
    assertRecovered(snapshots[0]!, result.committed, result.committed.at(-1)!.at - 2 * INTERVAL_MS, 'heap');
  }),
);

test(
  'a child whose worker runs out of memory, unhandled, is recovered the same way',
  withDirectory(async (directory) => {
    const result = await runPersistChild('worker-heap', directory, { intervalMs: INTERVAL_MS });
    assert.is(result.code, 1, result.stderr);
    assert.match(result.stderr, /ERR_WORKER_OUT_OF_MEMORY/);
    const snapshots = await recover(directory);
    assert.is(snapshots.length, 1);
    const lastReport = result.committed.at(-1)!;
    assertRecovered(snapshots[0]!, result.committed, lastReport.at - 2 * INTERVAL_MS, 'worker-heap');
  }),
);

test(
  'an uncaught exception whose crash snapshot holds every record leaves no persisted file behind to be recovered again',
  withDirectory(async (directory) => {
    const result = await runPersistChild('throw', directory, { intervalMs: INTERVAL_MS });
    assert.is(result.code, 1, result.stderr);
    assert.match(result.stderr, /thrown by the persist child/);
    const names = readdirSync(directory);
    assert.is(names.filter((name) => name.endsWith('-uncaught_exception.bin')).length, 1, names.join(' '));
    assert.equal(
      names.filter((name) => name.endsWith('.persist')),
      [],
    );
    assert.equal(await recover(directory), []);
  }),
);

test.run();
