/**
 * Retention through the public exporter option: after each write the oldest snapshots of the
 * exporter's service go until maxFiles / maxBytes / maxAgeMs hold; other services' files, foreign
 * files and temp files are never touched; crash snapshots are kept apart from routine ones.
 */

import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type RetentionOptions, SnapshotExporter, TTLogProcessor } from '../../src/index.ts';
import { openRingBuffer } from '../../src/record/ring-layout.ts';
import { parseSnapshotFileName, sanitizeNamePart, snapshotFileName } from '../../src/snapshot/file-name.ts';
import { CRASH_REASONS } from '../../src/snapshot/snapshot-reason.ts';
import { SnapshotWriter } from '../../src/snapshot/snapshot-writer.ts';
import { otel } from '../support/otel.ts';
import { makeDirectory, removeDirectory } from '../triggers/fixtures/harness.ts';

const cleanup: string[] = [];
const DAY = 24 * 60 * 60 * 1000;

/** A file with a ttlog name, `ageMs` old by its name, of `bytes` bytes (retention reads names and sizes only). */
function oldSnapshot(directory: string, service: string, reason: string, ageMs: number, bytes = 100, seq = 0): string {
  const name = snapshotFileName(service, 4242, new Date(Date.now() - ageMs), seq, reason);
  writeFileSync(join(directory, name), Buffer.alloc(bytes));
  return name;
}

function setup(retention: RetentionOptions) {
  const directory = makeDirectory();
  cleanup.push(directory);
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory, serviceName: 'shop', retention }) });
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  provider.getLogger('retention').emit({ body: 'a record' });
  return { directory, processor, provider };
}

const FOREIGN = ['notes.txt', 'ttlog-shop-1-garbage.bin', '.ttlog-0123456789abcdef.tmp', 'ttlog-shop-1-20200101T000000000Z-0-periodic.bin.bak'];

test('maxFiles: the oldest files of the service go; other services, foreign names and temp files stay', async () => {
  const { directory, processor, provider } = setup({ maxFiles: 2 });
  const old = [
    oldSnapshot(directory, 'shop', 'manual', 3 * DAY),
    oldSnapshot(directory, 'shop', 'manual', 2 * DAY),
    oldSnapshot(directory, 'shop', 'manual', DAY),
  ];
  const otherService = oldSnapshot(directory, 'billing', 'manual', 5 * DAY);
  for (const name of FOREIGN) writeFileSync(join(directory, name), 'not mine');
  const written = await processor.snapshot('manual');
  const left = readdirSync(directory).sort();
  assert.equal(left, [...FOREIGN, otherService, old[2]!, written.slice(directory.length + 1)].sort());
  await provider.shutdown();
});

test('maxAgeMs removes files older than the limit by the time in their name', async () => {
  const { directory, processor, provider } = setup({ maxAgeMs: DAY });
  const tooOld = oldSnapshot(directory, 'shop', 'periodic', 2 * DAY);
  const recent = oldSnapshot(directory, 'shop', 'periodic', DAY / 2);
  await processor.snapshot();
  const left = readdirSync(directory);
  assert.not.ok(left.includes(tooOld));
  assert.ok(left.includes(recent));
  assert.is(left.length, 2);
  await provider.shutdown();
});

test('maxBytes keeps the newest files that fit, and always the newest one', async () => {
  const { directory, processor, provider } = setup({ maxBytes: 10_000, protectCrashSnapshots: false });
  const names = [3, 2, 1].map((days) => oldSnapshot(directory, 'shop', 'manual', days * DAY, 4_000));
  const written = (await processor.snapshot()).slice(directory.length + 1);
  assert.equal(readdirSync(directory).sort(), [names[1]!, names[2]!, written].sort(), 'new file + 4000 + 4000 fit, the third 4000 does not');
  await provider.shutdown();

  const alone = setup({ maxBytes: 1 });
  const path = await alone.processor.snapshot();
  assert.equal(readdirSync(alone.directory), [path.slice(alone.directory.length + 1)]);
  await alone.provider.shutdown();
});

test('crash snapshots are protected: periodic ones cannot push them out, and the other way round', async () => {
  const { directory, processor, provider } = setup({ maxFiles: 2 });
  const crashes = ['signal', 'uncaught-exception', 'stall'].map((reason, i) => oldSnapshot(directory, 'shop', reason, (3 - i) * DAY));
  for (let i = 0; i < 3; i++) await processor.snapshot('periodic');
  const left = readdirSync(directory);
  assert.is(left.filter((name) => name.endsWith('-periodic.bin')).length, 2);
  assert.equal(left.filter((name) => !name.endsWith('-periodic.bin')).sort(), crashes.slice(1).sort(), 'crash files are held to maxFiles among themselves');
  await provider.shutdown();
});

test('without protection every file counts the same', async () => {
  const { directory, processor, provider } = setup({ maxFiles: 2, protectCrashSnapshots: false });
  oldSnapshot(directory, 'shop', 'signal', DAY);
  for (let i = 0; i < 2; i++) await processor.snapshot('periodic');
  assert.ok(readdirSync(directory).every((name) => name.endsWith('-periodic.bin')));
  await provider.shutdown();
});

test('retention also runs after a synchronous (crash) write', () => {
  const directory = makeDirectory();
  cleanup.push(directory);
  const writer = new SnapshotWriter({ directory, serviceName: 'shop', retention: { maxFiles: 1 } });
  oldSnapshot(directory, 'shop', 'exit', DAY);
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory, serviceName: 'shop' }) });
  const path = writer.writeSync({ ring: openRingBuffer(processor.handle.buffer), reason: 'exit' });
  assert.equal(readdirSync(directory), [path.slice(directory.length + 1)]);
});

test('every crash reason is protected, as its file name carries it; routine and custom reasons are not', async () => {
  assert.equal([...CRASH_REASONS].sort(), ['exit', 'signal', 'stall', 'uncaught-exception', 'unhandled-rejection', 'worker-error']);
  const { directory, processor, provider } = setup({ maxFiles: 1 });
  const crashes = CRASH_REASONS.map((reason, i) => oldSnapshot(directory, 'shop', reason, DAY, 100, i));
  const routine = ['manual', 'periodic', 'on-demand', 'deploy check'].map((reason, i) => oldSnapshot(directory, 'shop', reason, DAY, 100, i));
  const written = (await processor.snapshot('deploy check')).slice(directory.length + 1);
  const left = readdirSync(directory);
  assert.ok(written.endsWith(`-${sanitizeNamePart('deploy check')}.bin`), written);
  assert.equal(
    left.filter((name) => routine.includes(name)),
    [],
    'older routine files are held to maxFiles with the new one',
  );
  assert.equal(
    left.filter((name) => crashes.includes(name)),
    [crashes.at(-1)],
    'the crash files are held to maxFiles among themselves',
  );
  assert.is(left.length, 2);
  await provider.shutdown();
});

test('bad retention options fail when the exporter is made', () => {
  for (const retention of [{ maxFiles: 0 }, { maxBytes: -1 }, { maxAgeMs: 1.5 }, { maxFiles: Number.NaN }]) {
    assert.throws(() => new SnapshotExporter({ retention }), /retention\./);
  }
});

test('parseSnapshotFileName reads back what snapshotFileName writes, and nothing else', () => {
  const date = new Date(Date.UTC(2026, 10, 25, 15, 6, 47, 123));
  const name = snapshotFileName('check-out svc', 42, date, 7, 'worker-error');
  assert.equal(parseSnapshotFileName(name), { service: 'check_out_svc', pid: 42, time: date.getTime(), seq: 7, reason: 'worker_error' });
  for (const other of FOREIGN) assert.is(parseSnapshotFileName(other), undefined);
  assert.is(parseSnapshotFileName('ttlog-a-1-20261325T000000000Z-0-x.bin'), undefined, 'month 13');
  assert.is(parseSnapshotFileName('ttlog-a-1-20260230T000000000Z-0-x.bin'), undefined, 'February 30');
});

test.after(() => {
  for (const directory of cleanup) removeDirectory(directory);
});

test.run();
