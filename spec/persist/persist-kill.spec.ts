import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { seededRandom } from '../support/seeded-random.ts';
import { assertRecovered, recover, runPersistChild, signalAfter } from './fixtures/persist-harness.ts';

const INTERVAL_MS = 100;
/**
 * Thirty trials on the 0.2xx line; ten on the 3.x line, where only the child's SDK differs and the
 * persisting under test is the same code: the suite's time goes where it finds something.
 */
const TRIALS = process.env.TTLOG_OTEL_LINE === '3' ? 10 : 30;

const random = seededRandom(2026);
/** Trials per test: each test stays well inside the runner's time without a finished test. */
const PER_TEST = 5;

async function trial(trialIndex: number, delay: number): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-persist-kill-'));
  try {
    const result = await runPersistChild('steady', directory, {
      intervalMs: INTERVAL_MS,
      onReady: signalAfter(delay),
    });
    assert.is(result.signal, 'SIGKILL', result.stderr);
    const snapshots = await recover(directory);
    assert.is(snapshots.length, 1, `trial ${trialIndex}: one recovered snapshot`);
    assertRecovered(snapshots[0]!, result.committed, result.signalledAt! - 2 * INTERVAL_MS, `trial ${trialIndex} (kill after ${delay} ms)`);
    assert.ok(snapshots[0]!.records.length > 0);
    // The persisted file is gone once recovered; the lock's socket file with it.
    assert.equal(
      readdirSync(directory).filter((name) => !name.endsWith('.bin')),
      [],
    );
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

for (let first = 0; first < TRIALS; first += PER_TEST) {
  const delays = Array.from({ length: PER_TEST }, () => 20 + Math.floor(random() * 700));
  test(`a child SIGKILLed at a random moment (trials ${first}–${first + PER_TEST - 1} of ${TRIALS}) leaves every record committed more than two intervals before and still in the ring, in order, none torn`, async () => {
    await Promise.all(delays.map((delay, i) => trial(first + i, delay)));
  });
}

test.run();
