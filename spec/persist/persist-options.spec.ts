import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SnapshotExporter, TTLogProcessor } from '../../src/index.ts';
import { ttlogWarningsDuring } from '../support/diag-messages.ts';

const directory = mkdtempSync(join(tmpdir(), 'ttlog-persist-options-'));

test('persist options of the wrong type are reported and ignored, naming the option', async () => {
  const warnings = await ttlogWarningsDuring(async () => {
    const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory }), persist: 'yes' as never });
    await processor.shutdown();
    const nested = new TTLogProcessor({ exporter: new SnapshotExporter({ directory }), persist: { intervalMs: '100', dir: directory } as never });
    await nested.shutdown();
  });
  assert.ok(
    warnings.some((warning) => warning.includes("option 'persist' must be a boolean or an object")),
    warnings.join('\n'),
  );
  assert.ok(
    warnings.some((warning) => warning.includes("option 'persist.intervalMs' must be a number")),
    warnings.join('\n'),
  );
  assert.ok(
    warnings.some((warning) => warning.includes("unknown option 'persist.dir' (did you mean 'persist.directory'?)")),
    warnings.join('\n'),
  );
});

test('an intervalMs that cannot work is a RangeError; nothing is left in the directory', () => {
  for (const intervalMs of [0, 1.5, -1, 2 ** 31]) {
    assert.throws(
      () => new TTLogProcessor({ exporter: new SnapshotExporter({ directory }), persist: { intervalMs } }),
      (error: Error) => error instanceof RangeError && /persist\.intervalMs/.test(error.message),
    );
  }
  assert.equal(
    readdirSync(directory).filter((name) => name.endsWith('.persist') || name.endsWith('.sock')),
    [],
  );
});

test.after(() => rmSync(directory, { recursive: true, force: true }));

test.run();
