import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SnapshotExporter, TTLogProcessor } from '../../src/index.ts';
import { LivenessLock, probeLock } from '../../src/persist/liveness-lock.ts';
import type { PersistedOwner } from '../../src/persist/persist-format.ts';
import { persistedFileName } from '../../src/persist/persisted-file-name.ts';
import { RingPersister } from '../../src/persist/ring-persister.ts';
import { openRingBuffer } from '../../src/record/ring-layout.ts';
import { currentProcess, type ProcessIdentity } from '../../src/snapshot/process-identity.ts';
import { otel } from '../support/otel.ts';
import { recover, runPersistChild } from './fixtures/persist-harness.ts';

const self = currentProcess();
/** A pid no process has: above every pid Linux hands out by default, below the lookup's limit. */
const DEAD_PID = 4_194_000;

/** Writes a persisted file of a few records into `directory`, as if `owner` had; returns its path. */
function persistedFile(directory: string, identity: ProcessIdentity, lock: PersistedOwner['lock']): string {
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory: join(directory, 'unused') }), capacity: 64 });
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  const logger = provider.getLogger('lock-spec');
  for (let i = 0; i < 5; i++) logger.emit({ severityNumber: 9, body: `crafted ${i}` });
  const path = join(directory, persistedFileName('crafted', identity));
  const owner: PersistedOwner = {
    service: 'crafted',
    hostname: 'host',
    pid: identity.pid,
    space: identity.space,
    start: identity.start,
    createdAt: Date.now(),
    lock,
  };
  const persister = new RingPersister(openRingBuffer(processor.handle.buffer), { path, owner });
  persister.tick();
  persister.close();
  rmSync(join(directory, 'unused'), { recursive: true, force: true });
  return path;
}

/** A lock nobody holds: a socket name whose file is not there. */
const FREE_LOCK = { kind: 'path', name: '.ttlog-00000000000000ff.sock' } as const;

function withDirectory(run: (directory: string) => Promise<void>, parent = tmpdir()): () => Promise<void> {
  return async () => {
    const directory = mkdtempSync(join(parent, 'ttlog-persist-lock-'));
    try {
      await run(directory);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  };
}

test(
  "two processes persisting into the same directory never recover each other's live file; once killed, each is recovered once",
  withDirectory(async (directory) => {
    let bothReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      let count = 0;
      bothReady = () => {
        if (++count === 2) resolve();
      };
    });
    let checked: () => void = () => undefined;
    const checkDone = new Promise<void>((resolve) => (checked = resolve));
    const child = () =>
      runPersistChild('steady', directory, {
        onReady: async () => {
          bothReady();
          await checkDone;
          return 'SIGKILL';
        },
      });
    const children = Promise.all([child(), child()]);
    await ready;
    // Each child ran its own start-up recovery while the other was live; this one runs now.
    await sleep(300);
    assert.equal(await recover(directory), []);
    assert.is(readdirSync(directory).filter((name) => name.endsWith('.persist')).length, 2);
    assert.not.ok(readdirSync(directory).some((name) => name.endsWith('.bin')));
    checked();
    const results = await children;
    for (const result of results) assert.is(result.signal, 'SIGKILL');
    const snapshots = await recover(directory);
    assert.is(snapshots.length, 2);
    assert.is(new Set(snapshots.map((snapshot) => snapshot.metadata.pid)).size, 2);
  }),
);

test(
  "a dead owner's file is recovered even when its pid now belongs to a live process: the prober itself, or another",
  withDirectory(async (directory) => {
    persistedFile(directory, { ...self, start: '1' }, FREE_LOCK);
    persistedFile(directory, { space: self.space, pid: process.ppid, start: '1' }, FREE_LOCK);
    const snapshots = await recover(directory);
    assert.is(snapshots.length, 2);
    assert.equal(snapshots.map((snapshot) => snapshot.metadata.pid).sort(), [process.pid, process.ppid].sort());
    for (const snapshot of snapshots)
      assert.equal(
        snapshot.records.map((record) => record.body),
        ['crafted 0', 'crafted 1', 'crafted 2', 'crafted 3', 'crafted 4'],
      );
    assert.not.ok(readdirSync(directory).some((name) => name.includes('.persist')));
  }),
);

test(
  'a live owner is never recovered, whatever its pid looks like: dead, foreign, or reused',
  withDirectory(async (directory) => {
    const lock = LivenessLock.listen(directory);
    try {
      const paths = [
        persistedFile(directory, { space: self.space, pid: DEAD_PID, start: '5' }, lock.lock),
        persistedFile(directory, { space: 'aaaaaaaaaaaa', pid: 7, start: '5' }, lock.lock),
        persistedFile(directory, { ...self, start: '1' }, lock.lock),
      ];
      assert.equal(await recover(directory), []);
      for (const path of paths) assert.ok(existsSync(path));
    } finally {
      lock.close();
    }
    assert.is((await recover(directory)).length, 3, 'recovered once the lock is gone');
  }),
);

test(
  'a lock is held while its owner lives, even with its main thread blocked, and free once the process is gone',
  withDirectory(async (directory) => {
    let state: string | undefined;
    const result = await runPersistChild('blocked', directory, {
      onReady: async () => {
        await sleep(100);
        const name = readdirSync(directory).find((entry) => entry.endsWith('.sock'))!;
        state = await probeLock(directory, { kind: 'path', name });
        return 'SIGKILL';
      },
    });
    assert.is(result.signal, 'SIGKILL');
    assert.is(state, 'held');
    const name = readdirSync(directory).find((entry) => entry.endsWith('.sock'))!;
    assert.is(await probeLock(directory, { kind: 'path', name }), 'free');
  }),
);

// A directory whose socket path would not fit sun_path: the lock is an abstract socket.
const longParent = join(tmpdir(), 'ttlog-persist-long-'.padEnd(100, 'x'));
mkdirSync(longParent, { recursive: true });
test(
  'with a directory too long for a socket path, the lock is an abstract socket, and an owner the pid lookup cannot place is never taken for gone',
  withDirectory(async (directory) => {
    const lock = LivenessLock.listen(directory);
    assert.is(lock.lock.kind, 'abstract');
    assert.is(await probeLock(directory, lock.lock), 'held');
    persistedFile(directory, { space: 'bbbbbbbbbbbb', pid: DEAD_PID, start: '5' }, lock.lock);
    persistedFile(directory, { space: self.space, pid: DEAD_PID, start: '5' }, lock.lock);
    assert.equal(await recover(directory), []);
    lock.close();
    assert.is(await probeLock(directory, lock.lock), 'free');
    const snapshots = await recover(directory);
    // The foreign owner (another pid namespace or boot) may still be running where this process cannot see it.
    assert.is(snapshots.length, self.space === 'unknown' ? 0 : 1);
    assert.is(readdirSync(directory).filter((name) => name.endsWith('.persist')).length, self.space === 'unknown' ? 2 : 1);
  }, longParent),
);

test.after(() => rmSync(longParent, { recursive: true, force: true }));

test.run();
