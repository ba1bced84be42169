import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readSnapshot } from '../../src/index.ts';
import { assertRecovered, runPersistChild, signalAfter } from './fixtures/persist-harness.ts';

test('a processor with persist that starts recovers a killed one, hands the snapshot off, and leaves no persisted file behind', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-persist-restart-'));
  try {
    const killed = await runPersistChild('steady', directory, {
      onReady: signalAfter(300),
    });
    assert.is(killed.signal, 'SIGKILL');
    assert.ok(readdirSync(directory).some((name) => name.endsWith('.persist')));
    let said = '';
    const restarted = await runPersistChild('restart', directory, {});
    said = restarted.stderr;
    assert.is(restarted.code, 0, said);
    const names = readdirSync(directory);
    const recovered = names.filter((name) => name.endsWith('-recovered.bin'));
    assert.is(recovered.length, 1, names.join(' '));
    assert.equal(
      names.filter((name) => name.endsWith('.persist') || name.endsWith('.sock')),
      [],
      'the persisted files and locks of both processes are gone',
    );
    const snapshot = await readSnapshot(join(directory, recovered[0]!));
    assertRecovered(snapshot, killed.committed, killed.signalledAt! - 200, 'restart');
    assert.is(snapshot.metadata.service, 'persist-child');
    assert.is(snapshot.metadata.resource['service.name'], 'persist-child');
    assert.ok(typeof snapshot.metadata.cause?.lastBatchAt === 'string');
    assert.match(restarted.stdoutLines.join('\n'), `recovered 1 handed-off ${snapshot.records.length}`);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test.run();
