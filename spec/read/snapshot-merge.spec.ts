/**
 * Several snapshots merged into one timeline with each record once (docs/format.md, `ring`):
 * overlapping snapshots of one ring written through the real SDK (periodic, manual, shutdown,
 * and an attached processor's own), two rings of one process kept apart, exported batches never
 * merged, files without a ring identity never merged, and the streaming merge's slices, tail
 * and error paths.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type MergedRecord,
  mergeSnapshots,
  openSnapshot,
  readSnapshot,
  readSnapshots,
  SnapshotExporter,
  type SnapshotReader,
  type SnapshotRecord,
  TTLogProcessor,
} from '../../src/index.ts';
import { otel } from '../support/otel.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/v1-basic.bin', import.meta.url));

const directories: string[] = [];

function newDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-merge-'));
  directories.push(directory);
  return directory;
}

test.after(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

function snapshotFiles(directory: string): string[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith('.bin'))
    .sort()
    .map((name) => join(directory, name));
}

/** A processor (periodic snapshots on) in a provider, writing to a directory of its own. */
function recorder(options: { intervalMs?: number; capacity?: number } = {}) {
  const directory = newDirectory();
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory, serviceName: 'merge' }), capacity: 4096, ...options });
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  const logger = provider.getLogger('merge-spec');
  let next = 0;
  const log = (count: number) => {
    for (let i = 0; i < count; i++, next++) {
      logger.emit({ body: `record ${next}`, severityNumber: next % 10 === 9 ? 17 : 9, attributes: { n: next } } as never);
    }
  };
  return { directory, processor, provider, log, logged: () => next };
}

function bodies(records: readonly MergedRecord<unknown>[]): string[] {
  return records.map(({ record }) => String(record.body));
}

/** `record 0` … `record {count - 1}` in the order they were logged. */
function expectedBodies(count: number): string[] {
  return Array.from({ length: count }, (_, n) => `record ${n}`);
}

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('periodic, manual and shutdown snapshots of one ring: every record once, the copies counted', async () => {
  const { directory, processor, provider, log } = recorder({ intervalMs: 20 });
  log(300);
  await waitFor(() => snapshotFiles(directory).length >= 1);
  log(300);
  await processor.snapshot('manual');
  log(300);
  await provider.shutdown();
  const files = snapshotFiles(directory);
  assert.ok(files.length >= 3, `${files.length} files`);

  const merged = await readSnapshots(files);
  const ring = merged.files[0]!.metadata.ring!;
  assert.match(ring, /^[0-9a-f]{32}$/);
  for (const file of merged.files) assert.is(file.metadata.ring, ring);
  assert.equal(bodies(merged.records), expectedBodies(900));
  const inFiles = merged.files.reduce((sum, file) => sum + file.metadata.records, 0);
  assert.ok(inFiles > 900, 'the snapshots overlap');
  assert.is(merged.duplicates, inFiles - 900);
  // A record is taken from the first file that holds it: the earliest snapshot.
  assert.is(merged.records[0]!.source.index, 0);
  assert.ok(merged.records.every(({ source }) => source.damage.length === 0));
});

test('the reserve lane: a warning and a main-lane record with the same seq are two records, each once', async () => {
  const { directory, processor, provider, log } = recorder();
  log(50);
  await processor.snapshot();
  log(50);
  await provider.shutdown();
  const merged = await readSnapshots(snapshotFiles(directory));
  assert.equal(bodies(merged.records), expectedBodies(100));
  const errors = merged.records.filter(({ record }) => record.lane === 1);
  assert.is(errors.length, 10);
  // seq 0 exists in both lanes: the identity includes the lane.
  assert.ok(errors.some(({ record }) => record.seq === 0));
  assert.ok(merged.records.some(({ record }) => record.seq === 0 && record.lane === undefined));
  assert.is(merged.duplicates, 50);
});

test("an attached processor's snapshots carry its owner's ring and merge with the owner's", async () => {
  const owner = recorder();
  const workerDirectory = newDirectory();
  const attached = TTLogProcessor.attach(owner.processor.handle, { exporter: new SnapshotExporter({ directory: workerDirectory, serviceName: 'merge' }) });
  const workerProvider = new otel.LoggerProvider({ processors: [attached as never] });
  const workerLogger = workerProvider.getLogger('worker');
  owner.log(100);
  for (let i = 0; i < 100; i++) workerLogger.emit({ body: `worker ${i}`, severityNumber: 9 } as never);
  await attached.snapshot('worker-view');
  owner.log(100);
  await owner.processor.snapshot();
  await workerProvider.shutdown();
  await owner.provider.shutdown();

  const files = [...snapshotFiles(workerDirectory), ...snapshotFiles(owner.directory)];
  const merged = await readSnapshots(files);
  assert.is(new Set(merged.files.map((file) => file.metadata.ring)).size, 1);
  const fromWorker = merged.records.filter(({ record }) => record.producer === 1);
  assert.equal(
    bodies(fromWorker),
    Array.from({ length: 100 }, (_, i) => `worker ${i}`),
  );
  assert.equal(bodies(merged.records.filter(({ record }) => record.producer === 0)), expectedBodies(200));
  assert.is(merged.duplicates, merged.files.reduce((sum, file) => sum + file.metadata.records, 0) - 300);
});

test('two rings in one process (same pid, same service) are never merged into each other', async () => {
  const first = recorder();
  const second = recorder();
  first.log(40);
  second.log(40);
  await first.processor.snapshot();
  await second.processor.snapshot();
  await first.provider.shutdown();
  await second.provider.shutdown();
  const files = [...snapshotFiles(first.directory), ...snapshotFiles(second.directory)];
  const merged = await readSnapshots(files);
  const [a, b] = [merged.files[0]!.metadata, merged.files[2]!.metadata];
  assert.is(a.pid, b.pid);
  assert.is(a.service, b.service);
  assert.is.not(a.ring, b.ring);
  // Each ring's 40 records once (the same lanes and seqs in both rings), and both rings' records kept.
  assert.is(merged.records.length, 80);
  assert.is(merged.duplicates, 80);
  const identities = (ring: string | undefined) =>
    merged.records
      .filter(({ source }) => source.metadata.ring === ring)
      .map(({ record }) => `${record.lane ?? 0}:${record.seq}`)
      .sort();
  assert.is(new Set(identities(a.ring)).size, 40);
  assert.equal(identities(a.ring), identities(b.ring));
});

test('batches given to SnapshotExporter.export() are rings of their own: never merged', async () => {
  const directory = newDirectory();
  const exporter = new SnapshotExporter({ directory, serviceName: 'merge' });
  const memory = new otel.InMemoryLogRecordExporter();
  const provider = new otel.LoggerProvider({ processors: [new otel.SimpleLogRecordProcessor({ exporter: memory })] });
  const logger = provider.getLogger('export');
  for (let i = 0; i < 4; i++) logger.emit({ body: `record ${i}`, severityNumber: 9 } as never);
  const records = memory.getFinishedLogRecords();
  const exportBatch = (batch: readonly unknown[]) => new Promise<void>((resolve) => exporter.export(batch as never, () => resolve()));
  await exportBatch(records.slice(0, 2));
  await exportBatch(records.slice(2));
  await exporter.shutdown();
  const merged = await readSnapshots(snapshotFiles(directory));
  assert.is(merged.files.length, 2);
  assert.is.not(merged.files[0]!.metadata.ring, merged.files[1]!.metadata.ring);
  // seq 0 and 1 in both batches, all four kept.
  assert.equal(bodies(merged.records), expectedBodies(4));
  assert.is(merged.duplicates, 0);
});

test('files without a ring identity (format 1.0 of the first writer) are never merged', async () => {
  const fixture = await readSnapshot(FIXTURE);
  assert.is(fixture.metadata.ring, undefined);
  const merged = await readSnapshots([FIXTURE, readFileSync(FIXTURE)]);
  assert.is(merged.records.length, 2 * fixture.records.length);
  assert.is(merged.duplicates, 0);
  assert.equal(
    merged.records.filter(({ source }) => source.index === 0).map(({ record }) => record),
    fixture.records,
  );
});

test('mergeSnapshots streams: small slices, the same timeline; last(n) of the merged tail; per-input counts', async () => {
  const { directory, processor, provider, log } = recorder();
  log(500);
  await processor.snapshot();
  log(500);
  await processor.snapshot();
  log(100);
  await provider.shutdown();
  const files = snapshotFiles(directory);
  const open = async () => Promise.all(files.map(async (path) => ({ path, reader: await openSnapshot(path) })));

  const sources = await open();
  const merge = mergeSnapshots(sources);
  const batches: MergedRecord<{ path: string }>[][] = [];
  for await (const batch of merge.batches({ maxRecords: 7 })) batches.push(batch);
  assert.ok(batches.every((batch) => batch.length <= 7));
  assert.equal(bodies(batches.flat()), expectedBodies(1100));
  assert.is(merge.duplicates, 500 + 1000);
  assert.equal(
    sources.map((source) => merge.duplicatesFrom(source)),
    [0, 500, 1000],
  );

  const tailSources = await open();
  const tail = await mergeSnapshots(tailSources).last(150);
  assert.equal(bodies(tail), expectedBodies(1100).slice(950));
  // Each record from the earliest snapshot that holds it.
  assert.ok(tail.slice(0, 50).every(({ source }) => source === tailSources[1]));
  assert.ok(tail.slice(50).every(({ source }) => source === tailSources[2]));
});

test('an input that fails: reported through onSourceEnd while the others merge on; without it, the error reaches the caller', async () => {
  const { directory, processor, provider, log } = recorder();
  log(20);
  await processor.snapshot();
  await provider.shutdown();
  const [first, second] = snapshotFiles(directory) as [string, string];
  const bytes = readFileSync(second);
  const cut = join(directory, 'cut.bin');
  writeFileSync(cut, bytes.subarray(0, bytes.length - 30));

  const ended = new Map<string, unknown>();
  const sources = [
    { path: first, reader: await openSnapshot(first) },
    { path: cut, reader: await openSnapshot(cut, { strict: true }) },
  ];
  const merged: SnapshotRecord[] = [];
  const merge = mergeSnapshots(sources, {
    onSourceEnd: (source, error) => {
      assert.not.ok(ended.has(source.path), 'once per input');
      ended.set(source.path, error);
    },
  });
  for await (const batch of merge.batches()) for (const { record } of batch) merged.push(record);
  assert.is(merged.length, 20);
  assert.equal([...ended.keys()].sort(), [cut, first].sort());
  assert.is((ended.get(cut) as { code?: string }).code, 'DAMAGED');
  assert.is(ended.get(first), undefined);

  const again: { reader: SnapshotReader }[] = [{ reader: await openSnapshot(first) }, { reader: await openSnapshot(cut, { strict: true }) }];
  try {
    for await (const _ of mergeSnapshots(again).batches());
    assert.unreachable('a strict read of a cut file throws');
  } catch (error) {
    assert.is((error as { code?: string }).code, 'DAMAGED');
  }
  await Promise.all(again.map(({ reader }) => reader.close()));
});

test('batches() refuses a maxRecords below 1', async () => {
  const reader = await openSnapshot(FIXTURE);
  const other = await openSnapshot(FIXTURE);
  try {
    await mergeSnapshots([{ reader }, { reader: other }])
      .batches({ maxRecords: 0 })
      .next();
    assert.unreachable();
  } catch (error) {
    assert.instance(error, RangeError);
  }
  await reader.close();
  await other.close();
});

test.run();
