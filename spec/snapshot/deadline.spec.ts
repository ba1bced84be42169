/**
 * Every asynchronous snapshot settles within the exporter's `timeoutMillis`, through a file
 * system (the injectable `fileSystem`) that stops answering: a write or a stat that never comes
 * back. snapshot(), forceFlush(), provider.shutdown() and export() all reject with ETIMEDOUT,
 * the failure reaches diag, the temp file goes, and the processor writes again once the file
 * system answers. A file system that accepts no bytes fails the write instead of looping, on the
 * synchronous path too, which no timer can stop.
 */
import * as nodeFs from 'node:fs';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readSnapshot, SnapshotExporter, type SnapshotFileSystem, TTLogProcessor } from '../../src/index.ts';
import { openRingBuffer } from '../../src/record/ring-layout.ts';
import { SnapshotWriter } from '../../src/snapshot/snapshot-writer.ts';
import { diagErrorsDuring } from '../support/diag-messages.ts';
import { otel } from '../support/otel.ts';
import { type Settlement, settled } from '../support/settled.ts';

const root = mkdtempSync(join(tmpdir(), 'ttlog-'));
let dirCount = 0;
const TIMEOUT_MS = 300;
/** Before timeouts existed these promises never settled; this keeps such a failure from hanging the spec. */
const GIVE_UP_MS = 5000;

function freshDir(): string {
  return mkdtempSync(join(root, `d${dirCount++}-`));
}

const never = () => new Promise<never>(() => undefined);
/** Handles whose writes were left hanging: the writer can never close them, so the spec does at the end. */
const abandoned: nodeFs.promises.FileHandle[] = [];

/** `node:fs`, but the operations in `hung` never answer while `state.hung` is true. */
function stoppingFileSystem(state: { hung: boolean }, hung: { write?: boolean; stat?: boolean }): SnapshotFileSystem {
  return {
    ...nodeFs,
    promises: {
      ...nodeFs.promises,
      stat: (path) => (state.hung && hung.stat ? never() : nodeFs.promises.stat(path)),
      open: async (path, flags, mode) => {
        const handle = await nodeFs.promises.open(path, flags, mode);
        abandoned.push(handle);
        return {
          write: (data, offset, length) => (state.hung && hung.write ? never() : handle.write(data, offset, length)),
          sync: () => handle.sync(),
          close: () => handle.close(),
        };
      },
    },
  };
}

function setup(fileSystem: SnapshotFileSystem) {
  const directory = freshDir();
  const exporter = new SnapshotExporter({ directory, fileSystem, serviceName: 'deadline', timeoutMillis: TIMEOUT_MS });
  const processor = new TTLogProcessor({ exporter, capacity: 16 });
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  provider.getLogger('deadline').emit({ severityNumber: 9, body: 'before the file system stopped' });
  return { directory, exporter, processor, provider };
}

function assertTimedOut(outcome: Settlement, call: string, slack = 1): void {
  assert.is(outcome.error?.code, 'ETIMEDOUT', `${call}: ${String(outcome.error)}`);
  assert.match(String(outcome.error?.message), new RegExp(`made no progress for ${TIMEOUT_MS} ms \\(timeoutMillis\\)`));
  assert.ok(outcome.ms >= TIMEOUT_MS - 5, `${call} settled after ${outcome.ms} ms, before its time`);
  assert.ok(outcome.ms < slack * TIMEOUT_MS + 2000, `${call} settled after ${outcome.ms} ms`);
}

async function waitUntilEmpty(directory: string): Promise<void> {
  for (let tries = 0; readdirSync(directory).length > 0 && tries < 100; tries++) await new Promise((resolve) => setTimeout(resolve, 10));
}

test('a write that never comes back: snapshot() rejects with ETIMEDOUT after timeoutMillis, reported to diag; the temp file goes', async () => {
  const state = { hung: true };
  const { directory, processor, provider } = setup(stoppingFileSystem(state, { write: true }));
  let outcome: Settlement | undefined;
  const errors = await diagErrorsDuring(async () => {
    outcome = await settled(processor.snapshot('manual'), GIVE_UP_MS);
  });
  assertTimedOut(outcome!, 'snapshot()');
  assert.is(errors.length, 1);
  assert.match(errors[0]!, /ttlog: snapshot to .* failed: .*made no progress for 300 ms/);
  await waitUntilEmpty(directory);
  assert.equal(readdirSync(directory), [], 'the temp file was removed when the time was up');

  // The file system answers again: the next snapshot has the records logged all along.
  state.hung = false;
  provider.getLogger('deadline').emit({ severityNumber: 9, body: 'after' });
  const path = await processor.snapshot('manual');
  assert.equal(
    (await readSnapshot(path, { strict: true })).records.map((record) => record.body),
    ['before the file system stopped', 'after'],
  );
  await provider.shutdown();
});

test('provider.forceFlush() and provider.shutdown() settle too', async () => {
  const { processor, provider } = setup(stoppingFileSystem({ hung: true }, { write: true }));
  await diagErrorsDuring(async () => {
    assertTimedOut(await settled(provider.forceFlush(), GIVE_UP_MS), 'forceFlush()');
    // A snapshot in flight when shutdown() comes is awaited first: two timeouts at most.
    void processor.snapshot('manual').catch(() => undefined);
    assertTimedOut(await settled(provider.shutdown(), GIVE_UP_MS), 'shutdown()', 2);
  });
});

test('a snapshot longer than timeoutMillis in all is written while each chunk makes progress', async () => {
  const directory = freshDir();
  const timeoutMillis = 2000;
  // The main thread's writer, whose chunks are the steps held up below (spec/recorder has the thread's).
  const processor = new TTLogProcessor({
    exporter: new SnapshotExporter({ directory, timeoutMillis }),
    capacity: 65_536,
    severityLane: false,
    recorderThread: false,
  });
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  const logger = provider.getLogger('deadline');
  for (let i = 0; i < 65_536; i++) logger.emit({ body: `record ${i}` });
  // Every turn of the event loop between two chunks is held up, as a busy service would hold it.
  let busy = true;
  const holdUp = () => {
    const until = performance.now() + 150;
    while (performance.now() < until);
    if (busy) setImmediate(holdUp);
  };
  setImmediate(holdUp);
  const started = performance.now();
  const path = await processor.snapshot().finally(() => {
    busy = false;
  });
  const ms = performance.now() - started;
  assert.ok(ms > timeoutMillis, `took ${Math.round(ms)} ms, so the limit was passed in all`);
  const snapshot = await readSnapshot(path);
  assert.is(snapshot.records.length, 65_536);
  assert.equal(snapshot.damage, []);
  await provider.shutdown();
});

test('export() reports ETIMEDOUT through its callback', async () => {
  const { exporter } = setup(stoppingFileSystem({ hung: true }, { write: true }));
  await diagErrorsDuring(async () => {
    const started = performance.now();
    const result = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export([], resolve));
    assertTimedOut({ error: result.error as NodeJS.ErrnoException, ms: performance.now() - started }, 'export()');
    assert.is(result.code, 1);
  });
});

test('a directory that never answers a stat (a stale mount) times out as well', async () => {
  const { processor, provider } = setup(stoppingFileSystem({ hung: true }, { stat: true }));
  await diagErrorsDuring(async () => assertTimedOut(await settled(processor.snapshot('manual'), GIVE_UP_MS), 'snapshot()'));
  await diagErrorsDuring(() => provider.shutdown().catch(() => undefined));
});

test('timeoutMillis defaults to 10000 and must be a whole number of ms a timer can wait', () => {
  assert.is(new SnapshotExporter({ directory: root }).timeoutMillis, 10_000);
  assert.is(new SnapshotExporter({ directory: root, timeoutMillis: 250 }).timeoutMillis, 250);
  for (const timeoutMillis of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
    assert.throws(() => new SnapshotExporter({ directory: root, timeoutMillis }), /timeoutMillis/, String(timeoutMillis));
  }
});

test('a file system that accepts no bytes fails the write (EIO) instead of looping, async and sync', async () => {
  let calls = 0;
  /** Writes nothing; after many calls it throws, so a writer that loops fails this test rather than hanging it. */
  const nothing = () => {
    if (++calls > 10_000) throw new Error('the writer kept retrying a write that made no progress');
    return 0;
  };
  const fileSystem: SnapshotFileSystem = {
    ...nodeFs,
    writeSync: nothing,
    promises: {
      ...nodeFs.promises,
      open: async (path, flags, mode) => {
        const handle = await nodeFs.promises.open(path, flags, mode);
        return { write: async () => ({ bytesWritten: nothing() }), sync: () => handle.sync(), close: () => handle.close() };
      },
    },
  };
  const { directory, processor, provider } = setup(fileSystem);
  const writer = new SnapshotWriter({ directory, fileSystem, serviceName: 'deadline' });
  await diagErrorsDuring(async () => {
    const { error } = await settled(processor.snapshot('manual'), GIVE_UP_MS);
    assert.is(error?.code, 'EIO', String(error));
    assert.match(String(error?.message), /wrote 0 bytes/);
    assert.throws(
      () => writer.writeSync({ ring: openRingBuffer(processor.handle.buffer), reason: 'exit' }),
      (thrown: NodeJS.ErrnoException) => thrown.code === 'EIO',
    );
    assert.ok(calls < 10, `${calls} calls`);
    assert.equal(readdirSync(directory), []);
    await provider.shutdown().catch(() => undefined);
  });
});

test.after(async () => {
  await Promise.all(abandoned.map((handle) => handle.close().catch(() => undefined)));
  otel.diag.disable();
  rmSync(root, { recursive: true, force: true });
});

test.run();
