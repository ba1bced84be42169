import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { seededRandom } from '../support/seeded-random.ts';
import { assertRecovered, recover, runPersistChild } from './fixtures/persist-harness.ts';

const INTERVAL_MS = 100;
const TRIALS = 30;

test(`a child SIGKILLed at random moments (${TRIALS} trials) leaves every record committed more than two intervals before, in order, none torn`, async () => {
  const random = seededRandom(2026);
  const delays = Array.from({ length: TRIALS }, () => 20 + Math.floor(random() * 700));
  await Promise.all(
    delays.map(async (delay, trial) => {
      const directory = mkdtempSync(join(tmpdir(), 'ttlog-persist-kill-'));
      try {
        const result = await runPersistChild('steady', directory, {
          intervalMs: INTERVAL_MS,
          onReady: async () => {
            await sleep(delay);
            return 'SIGKILL';
          },
        });
        assert.is(result.signal, 'SIGKILL', result.stderr);
        const snapshots = await recover(directory);
        assert.is(snapshots.length, 1, `trial ${trial}: one recovered snapshot`);
        assertRecovered(snapshots[0]!, result.committed, result.signalledAt! - 2 * INTERVAL_MS, `trial ${trial} (kill after ${delay} ms)`);
        assert.ok(snapshots[0]!.records.length > 0);
        // The persisted file is gone once recovered; the lock's socket file with it.
        assert.equal(
          readdirSync(directory).filter((name) => !name.endsWith('.bin')),
          [],
        );
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    }),
  );
});

test.run();
