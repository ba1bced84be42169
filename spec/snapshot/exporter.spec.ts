/**
 * SnapshotExporter through real OpenTelemetry SDK objects: behind the SDK's own processors
 * (`export`), behind a TTLogProcessor (`forceFlush`), its directory and service-name defaults,
 * file modes, names and collisions.
 */
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readSnapshot, SnapshotExporter, type SnapshotRecord, TTLogProcessor } from '../../src/index.ts';
import { withEnv } from '../support/env-vars.ts';
import { otel } from '../support/otel.ts';

const root = mkdtempSync(join(tmpdir(), 'ttlog-'));
let dirCount = 0;

/** A fresh, empty directory for one test. */
function freshDir(): string {
  const dir = join(root, `d${dirCount++}`);
  return mkdtempSync(`${dir}-`);
}

/** The snapshot files in `dir`, by name; fails on anything else (temp files above all). */
function snapshotFiles(dir: string): string[] {
  const names = readdirSync(dir).sort();
  for (const name of names) assert.match(name, /^ttlog-[A-Za-z0-9_.]+-\d+-\d{8}T\d{9}Z-\d+-[A-Za-z0-9_.]+\.bin$/, `unexpected file ${name}`);
  return names.map((name) => join(dir, name));
}

const resource = otel.resourceFromAttributes({ 'service.name': 'checkout', 'deployment.environment.name': 'spec' });
const BASE = 1_767_225_600;

function emitNumbered(provider: InstanceType<typeof otel.LoggerProvider>, count: number, from = 0): void {
  const logger = provider.getLogger('spec-logger', '2.0.0');
  for (let i = from; i < from + count; i++) {
    logger.emit({
      timestamp: [BASE + i, 5],
      observedTimestamp: [BASE + i, 6],
      severityNumber: 9,
      severityText: 'INFO',
      body: `record ${i}`,
      attributes: { i, even: i % 2 === 0 },
    });
  }
}

function assertNumbered(records: readonly SnapshotRecord[], from: number, count: number): void {
  assert.equal(
    records.map((record) => record.body),
    Array.from({ length: count }, (_, k) => `record ${from + k}`),
  );
  for (const record of records) {
    const i = from + records.indexOf(record);
    assert.is(record.timestamp, BigInt(BASE + i) * 1_000_000_000n + 5n);
    assert.is(record.observedTimestamp, BigInt(BASE + i) * 1_000_000_000n + 6n);
    assert.equal(record.attributes, { i, even: i % 2 === 0 });
    assert.equal(record.scope, { name: 'spec-logger', version: '2.0.0' });
    assert.is(record.severityText, 'INFO');
  }
}

test('behind BatchLogRecordProcessor, export() writes each batch as a snapshot', async () => {
  const directory = freshDir();
  const exporter = new SnapshotExporter({ directory });
  const provider = new otel.LoggerProvider({
    resource,
    processors: [new otel.BatchLogRecordProcessor({ exporter: exporter as never, scheduledDelayMillis: 60_000 })],
  });
  emitNumbered(provider, 7);
  await provider.forceFlush();
  const [path, ...others] = snapshotFiles(directory);
  assert.equal(others, []);
  assert.match(basename(path!), /^ttlog-checkout-\d+-.*-export\.bin$/);
  const { metadata, records, damage } = await readSnapshot(path!);
  assert.equal(damage, []);
  assert.is(metadata.reason, 'export');
  assert.is(metadata.service, 'checkout');
  assert.is(metadata.resource['deployment.environment.name'], 'spec');
  assert.is(metadata.counters.written, 7);
  assert.is(metadata.counters.captured, 7);
  assertNumbered(records, 0, 7);
  // Shutting the provider down shuts the exporter down through the processor: it writes nothing more.
  await provider.shutdown();
  const refused = await new Promise<{ code: number }>((resolve) => exporter.export([], resolve));
  assert.is(refused.code, 1);
  assert.is(snapshotFiles(directory).length, 1);
});

test('a batch of warnings and errors arrives whole (export rings have no reserve lane to overflow)', async () => {
  const directory = freshDir();
  const exporter = new SnapshotExporter({ directory });
  const provider = new otel.LoggerProvider({
    resource,
    processors: [new otel.BatchLogRecordProcessor({ exporter: exporter as never, scheduledDelayMillis: 60_000, maxExportBatchSize: 512 })],
  });
  const logger = provider.getLogger('errors');
  for (let i = 0; i < 300; i++) logger.emit({ severityNumber: 17, severityText: 'ERROR', body: `error ${i}` });
  await provider.forceFlush();
  const [path] = snapshotFiles(directory);
  const { metadata, records } = await readSnapshot(path!);
  assert.equal(
    records.map((record) => record.body),
    Array.from({ length: 300 }, (_, i) => `error ${i}`),
  );
  assert.equal([metadata.counters.written, metadata.counters.captured, metadata.counters.overwritten], [300, 300, 0]);
  await provider.shutdown();
});

test('behind SimpleLogRecordProcessor, every record becomes its own snapshot', async () => {
  const directory = freshDir();
  const exporter = new SnapshotExporter({ directory });
  // The SDK's SimpleLogRecordProcessor starts an export per record and does not wait for it in
  // forceFlush, so the test waits for the exporter's own result callbacks.
  const results: number[] = [];
  let allDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  const observed = {
    export: (records: never, callback: (result: { code: number }) => void) =>
      exporter.export(records, (result) => {
        results.push(result.code);
        callback(result);
        if (results.length === 3) allDone();
      }),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush(),
  };
  const provider = new otel.LoggerProvider({ resource, processors: [new otel.SimpleLogRecordProcessor({ exporter: observed as never })] });
  emitNumbered(provider, 3);
  await done;
  assert.equal(results, [0, 0, 0]);
  const paths = snapshotFiles(directory);
  assert.is(paths.length, 3);
  const bodies: unknown[] = [];
  for (const path of paths) {
    const { metadata, records } = await readSnapshot(path);
    assert.is(metadata.reason, 'export');
    assert.is(records.length, 1);
    bodies.push(records[0]!.body);
  }
  assert.equal(bodies.sort(), ['record 0', 'record 1', 'record 2']);
  await provider.shutdown();
});

test('export() reports failure through its callback, and refuses after shutdown', async () => {
  const memory = new otel.InMemoryLogRecordExporter();
  const provider = new otel.LoggerProvider({ resource, processors: [new otel.SimpleLogRecordProcessor({ exporter: memory })] });
  emitNumbered(provider, 2);
  const records = memory.getFinishedLogRecords();
  assert.is(records.length, 2);

  // A regular file where the directory should be: mkdir fails with ENOTDIR.
  const file = join(freshDir(), 'plain-file');
  writeFileSync(file, 'not a directory');
  const broken = new SnapshotExporter({ directory: join(file, 'snapshots') });
  const failed = await new Promise<{ code: number; error?: Error }>((resolve) => broken.export(records as never, resolve));
  assert.is(failed.code, 1);
  assert.is((failed.error as NodeJS.ErrnoException).code, 'ENOTDIR');

  const directory = join(freshDir(), 'missing', 'deeper');
  const exporter = new SnapshotExporter({ directory });
  const ok = await new Promise<{ code: number }>((resolve) => exporter.export(records as never, resolve));
  assert.is(ok.code, 0);
  const [path] = snapshotFiles(directory);
  assertNumbered((await readSnapshot(path!)).records, 0, 2);

  await exporter.shutdown();
  const refused = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(records as never, resolve));
  assert.is(refused.code, 1);
  assert.match(String(refused.error?.message), /shut down/);
  assert.is(snapshotFiles(directory).length, 1);
  await provider.shutdown();
});

test('exporter.forceFlush() snapshots the ring of the TTLogProcessor it was given to', async () => {
  const directory = freshDir();
  const exporter = new SnapshotExporter({ directory });
  const processor = new TTLogProcessor({ exporter, capacity: 64 });
  const provider = new otel.LoggerProvider({ resource, processors: [processor as never] });
  emitNumbered(provider, 5);
  await exporter.forceFlush();
  const [path, ...others] = snapshotFiles(directory);
  assert.equal(others, []);
  assert.match(basename(path!), /-flush\.bin$/);
  const { metadata, records } = await readSnapshot(path!);
  assert.is(metadata.reason, 'flush');
  assert.is(metadata.service, 'checkout');
  assertNumbered(records, 0, 5);

  // The ring is not drained: the next flush has the old records and the new ones.
  emitNumbered(provider, 2, 5);
  await exporter.forceFlush();
  const second = snapshotFiles(directory).find((candidate) => candidate !== path)!;
  assertNumbered((await readSnapshot(second)).records, 0, 7);
  await provider.shutdown();
});

test('an exporter given to no processor flushes nothing', async () => {
  const directory = freshDir();
  await new SnapshotExporter({ directory }).forceFlush();
  assert.equal(readdirSync(directory), []);
});

test('the directory defaults to TTLOG_SNAPSHOT_DIR, else the OS temp directory', async () => {
  const fromEnv = freshDir();
  const exporter = await withEnv({ TTLOG_SNAPSHOT_DIR: fromEnv }, () => new SnapshotExporter());
  assert.is(exporter.directory, fromEnv);
  const processor = new TTLogProcessor({ exporter, capacity: 8 });
  const path = await processor.snapshot('env');
  assert.is(dirname(path), fromEnv);

  const explicit = freshDir();
  assert.is((await withEnv({ TTLOG_SNAPSHOT_DIR: fromEnv }, () => new SnapshotExporter({ directory: explicit }))).directory, explicit);

  // os.tmpdir() follows TMPDIR, so the fallback can be pointed at a directory of this test.
  const temp = freshDir();
  const fallback = await withEnv({ TTLOG_SNAPSHOT_DIR: undefined, TMPDIR: temp }, () => new SnapshotExporter());
  assert.is(fallback.directory, temp);
  assert.is(dirname(await new TTLogProcessor({ exporter: fallback, capacity: 8 }).snapshot('tmp')), temp);
  assert.is((await withEnv({ TTLOG_SNAPSHOT_DIR: '', TMPDIR: temp }, () => new SnapshotExporter())).directory, temp);
});

test('the service name comes from the option, else TTLOG_SERVICE_NAME, else the resource', async () => {
  const directory = freshDir();
  const serviceOf = async (exporter: SnapshotExporter) => {
    const processor = new TTLogProcessor({ exporter, capacity: 8 });
    const provider = new otel.LoggerProvider({ resource, processors: [processor as never] });
    emitNumbered(provider, 1);
    const path = await processor.snapshot('name');
    const { metadata } = await readSnapshot(path);
    // File names keep letters, digits, '_' and '.' only.
    assert.ok(basename(path).startsWith(`ttlog-${metadata.service.replace(/-/g, '_')}-${process.pid}-`), basename(path));
    return metadata.service;
  };
  assert.is(
    await serviceOf(await withEnv({ TTLOG_SERVICE_NAME: 'from-env' }, () => new SnapshotExporter({ directory, serviceName: 'from-option' }))),
    'from-option',
  );
  assert.is(await serviceOf(await withEnv({ TTLOG_SERVICE_NAME: 'from-env' }, () => new SnapshotExporter({ directory }))), 'from-env');
  assert.is(await serviceOf(await withEnv({ TTLOG_SERVICE_NAME: undefined }, () => new SnapshotExporter({ directory }))), 'checkout');
  assert.is(await serviceOf(await withEnv({ TTLOG_SERVICE_NAME: '' }, () => new SnapshotExporter({ directory }))), 'checkout');
  // Read when the exporter is made, not when it writes.
  const early = await withEnv({ TTLOG_SERVICE_NAME: 'at-construction' }, () => new SnapshotExporter({ directory }));
  assert.is(await withEnv({ TTLOG_SERVICE_NAME: 'later' }, () => serviceOf(early)), 'at-construction');
  // No record yet, so no resource: a placeholder name.
  const idle = await withEnv({ TTLOG_SERVICE_NAME: undefined }, () => new TTLogProcessor({ exporter: new SnapshotExporter({ directory }), capacity: 8 }));
  assert.is((await readSnapshot(await idle.snapshot('idle'))).metadata.service, 'unknown_service');
});

test('OTEL_SERVICE_NAME names the snapshots through the SDK resource (NodeSDK)', async () => {
  const directory = freshDir();
  await withEnv(
    {
      OTEL_SERVICE_NAME: 'env-service',
      TTLOG_SERVICE_NAME: undefined,
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    },
    async () => {
      const exporter = new SnapshotExporter({ directory });
      const sdk = new otel.NodeSDK({ logRecordProcessors: [new TTLogProcessor({ exporter, capacity: 16 }) as never] });
      sdk.start();
      try {
        otel.logs.getLogger('node-sdk').emit({ severityNumber: 9, body: 'through NodeSDK' });
        await exporter.forceFlush();
      } finally {
        await sdk.shutdown();
      }
    },
  );
  const files = snapshotFiles(directory);
  assert.equal(
    files.map((path) => basename(path).replace(/-\d+-\d{8}T\d{9}Z-\d+-/, '-…-')),
    ['ttlog-env_service-…-flush.bin', 'ttlog-env_service-…-shutdown.bin'],
  );
  const { metadata, records } = await readSnapshot(files[0]!);
  assert.is(metadata.service, 'env-service');
  assert.is(metadata.resource['service.name'], 'env-service');
  assert.equal(
    records.map((record) => record.body),
    ['through NodeSDK'],
  );
});

test('files are 0600 and a directory the exporter creates is 0700', async () => {
  const parent = freshDir();
  const directory = join(parent, 'made', 'by', 'ttlog');
  const path = await new TTLogProcessor({ exporter: new SnapshotExporter({ directory }), capacity: 8 }).snapshot('modes');
  assert.is(dirname(path), directory);
  assert.is(statSync(path).mode & 0o777, 0o600);
  for (const created of [join(parent, 'made'), join(parent, 'made', 'by'), directory]) {
    assert.is(statSync(created).mode & 0o777, 0o700, created);
  }
});

test('snapshots taken at the same moment never overwrite each other', async () => {
  const directory = freshDir();
  const exporter = new SnapshotExporter({ directory, serviceName: 'same' });
  const processors = Array.from({ length: 24 }, () => new TTLogProcessor({ exporter, capacity: 8 }));
  const providers = processors.map((processor) => new otel.LoggerProvider({ resource, processors: [processor as never] }));
  for (const [p, provider] of providers.entries()) provider.getLogger('concurrent').emit({ body: `from processor ${p}` });
  const paths = await Promise.all(processors.map((processor) => processor.snapshot('same')));
  assert.is(new Set(paths).size, processors.length);
  assert.equal(snapshotFiles(directory), [...paths].sort());
  const bodies = await Promise.all(paths.map(async (path) => (await readSnapshot(path, { strict: true })).records.map((record) => record.body)));
  assert.equal(
    bodies,
    processors.map((_, p) => [`from processor ${p}`]),
  );
});

test('two exporters on one directory never overwrite each other: each counts its own names, a taken one is skipped', async () => {
  const directory = freshDir();
  const processors = Array.from({ length: 8 }, () => new TTLogProcessor({ exporter: new SnapshotExporter({ directory, serviceName: 'same' }), capacity: 8 }));
  const providers = processors.map((processor) => new otel.LoggerProvider({ resource, processors: [processor as never] }));
  for (const [p, provider] of providers.entries()) provider.getLogger('concurrent').emit({ body: `from exporter ${p}` });
  for (let round = 0; round < 3; round++) {
    const paths = await Promise.all(processors.map((processor) => processor.snapshot('same')));
    assert.is(new Set(paths).size, processors.length);
    const bodies = await Promise.all(paths.map(async (path) => (await readSnapshot(path, { strict: true })).records.map((record) => record.body)));
    assert.equal(
      bodies,
      processors.map((_, p) => [`from exporter ${p}`]),
    );
  }
  assert.is(snapshotFiles(directory).length, 3 * processors.length);
});

test('shutdown() is safe to call twice; a processor refuses an exporter that is not a SnapshotExporter', async () => {
  const exporter = new SnapshotExporter({ directory: freshDir() });
  await exporter.shutdown();
  await exporter.shutdown();
  const refused = await new Promise<{ code: number }>((resolve) => exporter.export([], resolve));
  assert.is(refused.code, 1);
  const lookalike = { export: exporter.export, forceFlush: exporter.forceFlush, shutdown: exporter.shutdown, directory: exporter.directory };
  assert.throws(
    () => new TTLogProcessor({ exporter: lookalike as never }),
    (error: unknown) => error instanceof TypeError && /SnapshotExporter/.test(error.message),
  );
});

test('file names are sanitized and stay in the directory', async () => {
  const directory = freshDir();
  const named = new TTLogProcessor({ exporter: new SnapshotExporter({ directory, serviceName: '../../escape/me' }), capacity: 8 });
  const path = await named.snapshot('../../up and out');
  assert.is(dirname(path), directory);
  assert.match(basename(path), /^ttlog-escape_me-\d+-\d{8}T\d{9}Z-\d+-up_and_out\.bin$/);
  // The header keeps the name as given; only the file name is restricted.
  assert.is((await readSnapshot(path)).metadata.service, '../../escape/me');

  const fromResource = new TTLogProcessor({ exporter: new SnapshotExporter({ directory }), capacity: 8 });
  const provider = new otel.LoggerProvider({
    resource: otel.resourceFromAttributes({ 'service.name': '/etc/.hidden svc' }),
    processors: [fromResource as never],
  });
  provider.getLogger('x').emit({ body: 'x' });
  const second = await fromResource.snapshot('ok');
  assert.is(dirname(second), directory);
  assert.match(basename(second), /^ttlog-etc_.hidden_svc-/);
  assert.is(readdirSync(directory).length, 2);
});

test('no temp files remain after successful snapshots', async () => {
  const directory = freshDir();
  const exporter = new SnapshotExporter({ directory });
  const processor = new TTLogProcessor({ exporter, capacity: 16 });
  const provider = new otel.LoggerProvider({ resource, processors: [processor as never] });
  emitNumbered(provider, 3);
  for (let i = 0; i < 5; i++) await processor.snapshot(`round${i}`);
  emitNumbered(provider, 1, 3); // a flush with nothing new since the last snapshot writes no file
  await provider.forceFlush();
  await provider.shutdown();
  const names = readdirSync(directory);
  assert.is(names.length, 7);
  assert.ok(
    names.every((name) => !name.startsWith('.') && !name.endsWith('.tmp')),
    names.join(', '),
  );
  snapshotFiles(directory);
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
