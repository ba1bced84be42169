/**
 * Options checked when a processor or exporter is made: unknown names and values of the wrong
 * type are reported through a real `diag` logger, once each, naming the option (with the option
 * most likely meant), and ignored; an exporter that is not a SnapshotExporter is a TypeError.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SnapshotExporter, TTLogProcessor } from '../../src/index.ts';
import { ttlogWarningsDuring } from '../support/diag-messages.ts';
import { otel } from '../support/otel.ts';

const directories: string[] = [];

function freshDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-options-'));
  directories.push(directory);
  return directory;
}

function exporter(): SnapshotExporter {
  return new SnapshotExporter({ directory: freshDirectory(), serviceName: 'options' });
}

test('a misspelt processor option is reported once, with the option meant, and the default applies', async () => {
  let processor: TTLogProcessor | undefined;
  const warnings = await ttlogWarningsDuring(() => {
    processor = new TTLogProcessor({ exporter: exporter(), capcity: 64 } as never);
  });
  assert.equal(warnings, ["ttlog: unknown option 'capcity' (did you mean 'capacity'?) in new TTLogProcessor(options); ignored"]);
  assert.is(processor!.stats().capacity, 8192);
});

test('unknown names are suggested by edit distance or as a prefix, nested options with their path', async () => {
  const warnings = await ttlogWarningsDuring(() => {
    new TTLogProcessor({
      exporter: exporter(),
      intervall: 60_000,
      maxRecord: 512,
      captureCrashes: { signal: ['SIGHUP'], exit: false },
      severityLane: { minSeverty: 17 },
      colour: 'red',
    } as never).shutdown();
  });
  assert.equal(warnings, [
    "ttlog: unknown option 'intervall' (did you mean 'intervalMs'?) in new TTLogProcessor(options); ignored",
    "ttlog: unknown option 'maxRecord' (did you mean 'maxRecordBytes'?) in new TTLogProcessor(options); ignored",
    "ttlog: unknown option 'captureCrashes.signal' (did you mean 'captureCrashes.signals'?) in new TTLogProcessor(options); ignored",
    "ttlog: unknown option 'severityLane.minSeverty' (did you mean 'severityLane.minSeverity'?) in new TTLogProcessor(options); ignored",
    "ttlog: unknown option 'colour' in new TTLogProcessor(options); ignored",
  ]);
});

test('values of the wrong type are reported and ignored; values out of range still throw', async () => {
  let processor: TTLogProcessor | undefined;
  const warnings = await ttlogWarningsDuring(() => {
    processor = new TTLogProcessor({
      exporter: exporter(),
      capacity: '64',
      captureCrashes: 'yes',
      severityLane: true,
      watchdog: { thresholdMs: null },
      heapPressure: { ratio: '0.5' },
      recorderThread: 'no',
    } as never);
  });
  assert.equal(warnings, [
    `ttlog: option 'capacity' must be a number, got the string "64" in new TTLogProcessor(options); ignored`,
    'ttlog: option \'captureCrashes\' must be a boolean or an object, got the string "yes" in new TTLogProcessor(options); ignored',
    "ttlog: option 'severityLane' must be false or an object, got true in new TTLogProcessor(options); ignored",
    "ttlog: option 'watchdog.thresholdMs' must be a number, got null in new TTLogProcessor(options); ignored",
    'ttlog: option \'heapPressure.ratio\' must be a number, got the string "0.5" in new TTLogProcessor(options); ignored',
    'ttlog: option \'recorderThread\' must be a boolean, got the string "no" in new TTLogProcessor(options); ignored',
  ]);
  assert.is(processor!.stats().capacity, 8192, 'the default, not a RangeError');
  assert.is(processor!.stats().reserveCapacity, 1024, 'the default reserve lane');
  await processor!.shutdown();
  assert.throws(() => new TTLogProcessor({ exporter: exporter(), capacity: 1 }), RangeError);
  assert.equal(
    await ttlogWarningsDuring(() => new TTLogProcessor({ exporter: exporter(), capacity: undefined as never })),
    [],
    'undefined counts as not given',
  );
});

test('a correct configuration warns about nothing', async () => {
  const warnings = await ttlogWarningsDuring(async () => {
    const processor = new TTLogProcessor({
      exporter: new SnapshotExporter({
        directory: freshDirectory(),
        serviceName: 'ok',
        maxRecordBytes: 4096,
        retention: { maxFiles: 5, protectCrashSnapshots: false },
      }),
      capacity: 64,
      severityLane: { minSeverity: 17, capacity: 16 },
      maxRecordBytes: 512,
      internCapacity: 128,
      internBytes: 4096,
      maxInternedValueLength: 32,
      captureCrashes: { signals: false, onDemandSignal: false, uncaughtException: true, unhandledRejection: true, exit: false },
      snapshotOnSeverity: { severityNumber: 21, windowMs: 10, minIntervalMs: 1000 },
      heapPressure: { ratio: 0.95 },
      meterProvider: new otel.MeterProvider(),
      // On the main thread: run from the TypeScript sources without a loader in worker threads, a
      // recorder thread could not start, and would say so.
      recorderThread: false,
    });
    await processor.shutdown();
    TTLogProcessor.attach(processor.handle, { maxInternedValueLength: 16 });
  });
  assert.equal(warnings, []);
});

test('exporter options are checked too: a misspelt directory is reported and the default used', async () => {
  let made: SnapshotExporter | undefined;
  const warnings = await ttlogWarningsDuring(() => {
    made = new SnapshotExporter({ dir: './snapshots', serviceName: 42, retention: { maxFile: 3 } } as never);
  });
  assert.equal(warnings, [
    "ttlog: unknown option 'dir' (did you mean 'directory'?) in new SnapshotExporter(options); ignored",
    "ttlog: option 'serviceName' must be a string, got 42 in new SnapshotExporter(options); ignored",
    "ttlog: unknown option 'retention.maxFile' (did you mean 'retention.maxFiles'?) in new SnapshotExporter(options); ignored",
  ]);
  assert.is.not(made!.directory, './snapshots');
  assert.is(made!.serviceName ?? undefined, process.env.TTLOG_SERVICE_NAME || undefined);
  assert.is(made!.retention?.maxFiles, 100, 'the default limit, not the misspelt one');
});

test('attach() takes only its own options', async () => {
  const owner = new TTLogProcessor({ exporter: exporter(), capacity: 8 });
  const warnings = await ttlogWarningsDuring(() => {
    TTLogProcessor.attach(owner.handle, { capacity: 64, maxInternedValueLength: 'long' } as never);
  });
  assert.equal(warnings, [
    "ttlog: unknown option 'capacity' in TTLogProcessor.attach(handle, options); ignored",
    'ttlog: option \'maxInternedValueLength\' must be a number, got the string "long" in TTLogProcessor.attach(handle, options); ignored',
  ]);
});

test('options that are not an object are reported and ignored', async () => {
  const warnings = await ttlogWarningsDuring(() => {
    new SnapshotExporter('/var/tmp' as never);
  });
  assert.equal(warnings, ['ttlog: the options of new SnapshotExporter(options) must be an object, got the string "/var/tmp"; ignored']);
});

test('an exporter that is not a SnapshotExporter is a TypeError naming what was given', () => {
  const otlpLike = new otel.InMemoryLogRecordExporter();
  const cases: Array<[unknown, RegExp]> = [
    [otlpLike, /got InMemoryLogRecordExporter/],
    [{ export() {}, shutdown() {} }, /got a plain object/],
    [null, /got null/],
    ['./snapshots', /got "\.\/snapshots"/],
  ];
  for (const [given, named] of cases) {
    assert.throws(
      () => new TTLogProcessor({ exporter: given as never }),
      (error: unknown) => error instanceof TypeError && /the exporter option must be a SnapshotExporter/.test(error.message) && named.test(error.message),
      String(given),
    );
    const owner = new TTLogProcessor({ exporter: exporter(), capacity: 8 });
    assert.throws(() => TTLogProcessor.attach(owner.handle, { exporter: given as never }), TypeError);
  }
  assert.equal(readdirSync(directories.at(-1)!), [], 'nothing was written');
});

test.after(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

test.run();
