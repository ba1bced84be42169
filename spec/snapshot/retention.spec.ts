/**
 * Retention through the public exporter option: after each write the oldest snapshots of the
 * exporter's service (by modification time) go until maxFiles / maxBytes / maxAgeMs hold; the file
 * just written always stays, whatever the clock in other names says; other services' files,
 * foreign files, names ttlog would not have made and temp files of live writers are never
 * touched; crash snapshots are kept apart from routine ones.
 */

import { existsSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
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

/**
 * A file with a ttlog name, `ageMs` old by its modification time, of `bytes` bytes (retention reads
 * names, times and sizes only). Its name carries the same time unless `nameAgeMs` says otherwise.
 */
function oldSnapshot(directory: string, service: string, reason: string, ageMs: number, bytes = 100, seq = 0, nameAgeMs = ageMs): string {
  const name = snapshotFileName(service, 4242, new Date(Date.now() - nameAgeMs), seq, reason);
  plant(directory, name, ageMs, bytes);
  return name;
}

/** Writes `name` with `bytes` bytes and a modification time `ageMs` ago (negative: in the future). */
function plant(directory: string, name: string, ageMs: number, bytes = 100): void {
  const path = join(directory, name);
  writeFileSync(path, Buffer.alloc(bytes));
  const time = new Date(Date.now() - ageMs);
  utimesSync(path, time, time);
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

test('maxAgeMs removes files modified longer ago than the limit, whatever time their name carries', async () => {
  const { directory, processor, provider } = setup({ maxAgeMs: DAY });
  const tooOld = oldSnapshot(directory, 'shop', 'periodic', 2 * DAY);
  const recent = oldSnapshot(directory, 'shop', 'periodic', DAY / 2);
  const copiedToday = oldSnapshot(directory, 'shop', 'periodic', DAY / 2, 100, 1, 3 * DAY);
  const namedInTheFuture = oldSnapshot(directory, 'shop', 'periodic', 2 * DAY, 100, 2, -365 * DAY);
  await processor.snapshot();
  const left = readdirSync(directory);
  assert.not.ok(left.includes(tooOld));
  assert.not.ok(left.includes(namedInTheFuture));
  assert.ok(left.includes(recent));
  assert.ok(left.includes(copiedToday));
  assert.is(left.length, 3);
  await provider.shutdown();
});

test('a file named in the future is not the newest: the snapshot just written stays and the path resolved exists', async () => {
  const { directory, processor, provider } = setup({ maxFiles: 1 });
  const future = oldSnapshot(directory, 'shop', 'manual', DAY, 100, 0, -10 * 365 * DAY);
  const path = await processor.snapshot('manual');
  assert.ok(existsSync(path), 'the path snapshot() resolved to is there');
  assert.equal(readdirSync(directory), [path.slice(directory.length + 1)]);
  assert.not.ok(existsSync(join(directory, future)));
  await provider.shutdown();
});

test('a clock stepped back: files modified "in the future" never push out the file just written', async () => {
  const { directory, processor, provider } = setup({ maxFiles: 2 });
  const ahead = [1, 2].map((hours, seq) => oldSnapshot(directory, 'shop', 'periodic', -hours * 3600_000, 100, seq));
  const written = (await processor.snapshot('periodic')).slice(directory.length + 1);
  assert.equal(readdirSync(directory).sort(), [written, ahead[1]!].sort(), 'the new file, and the one modified last of the others');

  const sync = new SnapshotWriter({ directory, serviceName: 'shop', retention: { maxFiles: 1 } });
  const syncPath = sync.writeSync({ ring: openRingBuffer(processor.handle.buffer), reason: 'periodic' });
  assert.equal(readdirSync(directory), [syncPath.slice(directory.length + 1)], 'the synchronous write keeps its file too');
  await provider.shutdown();
});

test('snapshots written at once through one exporter: each resolves to a file that is there, even with maxFiles 1', async () => {
  const directory = makeDirectory();
  cleanup.push(directory);
  const exporter = new SnapshotExporter({ directory, serviceName: 'shop', retention: { maxFiles: 1 } });
  const processors = Array.from({ length: 4 }, () => new TTLogProcessor({ exporter, capacity: 8 }));
  const missing: string[] = [];
  for (let round = 0; round < 10; round++) {
    // Looked at as each one resolves: a later write's pass may then remove it, as maxFiles says.
    await Promise.all(processors.map((processor) => processor.snapshot('manual').then((path) => existsSync(path) || missing.push(path))));
  }
  assert.equal(missing, [], 'resolved to paths that retention had already removed');
  await processors[0]!.snapshot('manual');
  assert.is(readdirSync(directory).length, 1, 'once the writes are done, maxFiles holds again');
});

test('names ttlog would not have made in this form are never touched, even for its own service', async () => {
  const { directory, processor, provider } = setup({ maxFiles: 1, protectCrashSnapshots: false });
  const lookalikes = [
    'ttlog-shop-04242-20200101T000000000Z-0-manual.bin',
    'ttlog-shop-4242-20200101T000000000Z-00-manual.bin',
    'ttlog-shop-4242-20200101T000000000Z-0-_manual.bin',
    `ttlog-shop-4242-20200101T000000000Z-0-${'r'.repeat(65)}.bin`,
    'ttlog-_shop-4242-20200101T000000000Z-0-manual.bin',
    'ttlog-shop-4242-20200101T246000000Z-0-manual.bin',
  ];
  for (const name of lookalikes) plant(directory, name, 30 * DAY);
  const written = (await processor.snapshot('manual')).slice(directory.length + 1);
  assert.equal(readdirSync(directory).sort(), [...lookalikes, written].sort());
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
  assert.equal([...CRASH_REASONS].sort(), [
    'exit',
    'heap-pressure',
    'recovered',
    'signal',
    'stall',
    'uncaught-exception',
    'unhandled-rejection',
    'worker-error',
  ]);
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

test('the default retention bounds a thousand snapshots; crash snapshots are kept apart', async () => {
  const directory = makeDirectory();
  cleanup.push(directory);
  const exporter = new SnapshotExporter({ directory, serviceName: 'shop' });
  assert.equal(exporter.retention, { maxFiles: 100, maxBytes: 64 * 1024 * 1024 }, 'the documented default');
  // Four rings writing through one exporter at once, as four processors of a service would, so
  // that the writes (and the retention passes after them) overlap.
  const processors = Array.from({ length: 4 }, () => new TTLogProcessor({ exporter, capacity: 16 }));
  const provider = new otel.LoggerProvider({ processors: processors.map((processor) => processor as never) });
  const logger = provider.getLogger('retention');
  const crashes: string[] = [];
  for (let round = 0; round < 250; round++) {
    logger.emit({ body: `record ${round}` });
    const paths = await Promise.all(
      processors.map((processor, p) => {
        // A custom reason that sanitises to a crash reason's name counts as a crash snapshot.
        const crash = p === 0 && round % 25 === 10;
        return processor.snapshot(crash ? 'uncaught exception' : 'manual');
      }),
    );
    if (round % 25 === 10) crashes.push(paths[0]!.slice(directory.length + 1));
  }
  const left = readdirSync(directory);
  assert.is(left.filter((name) => name.endsWith('-manual.bin')).length, 100);
  assert.equal(left.filter((name) => !name.endsWith('-manual.bin')).sort(), crashes.sort(), 'all ten crash snapshots are still there');
  await provider.shutdown();

  const keepAll = new SnapshotExporter({ directory, serviceName: 'shop', retention: false });
  assert.is(keepAll.retention, undefined, 'retention: false keeps every file');
  const before = readdirSync(directory).length;
  await new TTLogProcessor({ exporter: keepAll, capacity: 16 }).snapshot('manual');
  assert.is(readdirSync(directory).length, before + 1);
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
  assert.is(parseSnapshotFileName('ttlog-a-01-20260101T000000000Z-0-x.bin'), undefined, 'pid with a leading zero');
  assert.is(parseSnapshotFileName('ttlog-a-1-20260101T000000000Z-07-x.bin'), undefined, 'seq with a leading zero');
  assert.is(parseSnapshotFileName('ttlog-.a-1-20260101T000000000Z-0-x.bin'), undefined, 'a service sanitizing would change');
  assert.is(parseSnapshotFileName(`ttlog-a-1-20260101T000000000Z-0-${'x'.repeat(65)}.bin`), undefined, 'a reason longer than sanitizing keeps');
  assert.is(parseSnapshotFileName('ttlog-a-99999999999999999999-20260101T000000000Z-0-x.bin'), undefined, 'a pid beyond safe integers');
});

test.after(() => {
  for (const directory of cleanup) removeDirectory(directory);
});

test.run();
