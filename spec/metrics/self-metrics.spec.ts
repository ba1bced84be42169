import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SnapshotExporter, TTLogProcessor, type TTLogProcessorOptions } from '../../src/index.ts';
import { otel } from '../support/otel.ts';

interface EmitsLogs {
  emit(record: never): void;
}
interface DataPoint {
  readonly attributes: Record<string, unknown>;
  readonly value: number | { readonly count: number; readonly sum?: number };
}
interface Collected {
  readonly descriptor: { readonly name: string; readonly unit: string; readonly description: string };
  readonly dataPoints: readonly DataPoint[];
}

/** A metric reader the test collects from when it likes. */
class CollectingReader extends otel.MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
  /** Every metric collected now, by name. */
  async metrics(): Promise<Map<string, Collected>> {
    const { resourceMetrics, errors } = await this.collect();
    assert.equal(errors, []);
    const byName = new Map<string, Collected>();
    for (const scope of resourceMetrics.scopeMetrics) for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric as unknown as Collected);
    return byName;
  }
}

/** A processor writing to its own temp directory and reporting to its own MeterProvider. */
function harness(options: TTLogProcessorOptions = {}) {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-metrics-'));
  const reader = new CollectingReader();
  const meterProvider = new otel.MeterProvider({ readers: [reader] });
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory, serviceName: 'spec' }), meterProvider, ...options });
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  const logger = provider.getLogger('metrics') as unknown as EmitsLogs;
  return {
    directory,
    processor,
    provider,
    reader,
    meterProvider,
    emit: (record: Record<string, unknown>) => logger.emit(record as never),
    /** `shutdownFails`: the test made the final snapshot fail on purpose. */
    cleanup: async (shutdownFails = false) => {
      const shutdown = provider.shutdown();
      await (shutdownFails ? shutdown.catch(() => undefined) : shutdown);
      await meterProvider.shutdown();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** The metric's points as `[value, attributes]`, one per series. */
function series(metrics: Map<string, Collected>, name: string): Array<[DataPoint['value'], Record<string, unknown>]> {
  const metric = metrics.get(name);
  assert.ok(metric, `${name} is reported`);
  return metric.dataPoints.map((point) => [point.value, point.attributes]);
}

/** The metric's one series. */
function onlySeries(metrics: Map<string, Collected>, name: string): [DataPoint['value'], Record<string, unknown>] {
  const points = series(metrics, name);
  assert.is(points.length, 1, `${name} has one series`);
  return points[0]!;
}

/** The component attributes of the processor that owns the ring. */
function componentOf(metrics: Map<string, Collected>): Record<string, unknown> {
  const [, attributes] = onlySeries(metrics, 'otel.sdk.processor.log.queue.capacity');
  return { 'otel.component.type': attributes['otel.component.type'], 'otel.component.name': attributes['otel.component.name'] };
}

test('the ring metrics read back through a MeterProvider match stats(), with the conventions’ names, units and attributes', async () => {
  const h = harness({ capacity: 64, maxRecordBytes: 256 });
  try {
    for (let i = 0; i < 200; i++) h.emit({ body: `record ${i}`, severityNumber: i % 10 === 0 ? 17 : 9 });
    for (let i = 0; i < 3; i++) h.emit({ body: 'x'.repeat(1000), severityNumber: 9 });
    const throwingGetter = {
      get boom(): never {
        throw new Error('getter exploded');
      },
    };
    h.emit({ body: throwingGetter, severityNumber: 9 });
    const stats = h.processor.stats();
    assert.is(stats.dropped, 1);
    assert.ok(stats.overwritten > 0 && stats.truncated === 3, 'the test covers overwrites and trimmed records');

    const metrics = await h.reader.metrics();
    const component = componentOf(metrics);
    assert.is(component['otel.component.type'], 'TTLogProcessor');
    assert.match(String(component['otel.component.name']), /^TTLogProcessor\/\d+$/);

    assert.equal(series(metrics, 'otel.sdk.processor.log.processed'), [
      [stats.written - stats.dropped, component],
      [stats.dropped, { ...component, 'error.type': 'dropped' }],
    ]);
    const slots = stats.capacity + stats.reserveCapacity;
    assert.equal(series(metrics, 'otel.sdk.processor.log.queue.capacity'), [[slots, component]]);
    assert.is(stats.written - stats.overwritten, 64 + 20, 'the main lane is full, the reserve lane holds the 20 errors');
    assert.equal(series(metrics, 'otel.sdk.processor.log.queue.size'), [[64 + 20, component]]);
    assert.equal(series(metrics, 'ttlog.ring.overwritten'), [[stats.overwritten, component]]);
    assert.equal(series(metrics, 'ttlog.ring.truncated'), [[stats.truncated, component]]);
    for (const name of ['otel.sdk.processor.log.processed', 'otel.sdk.processor.log.queue.capacity', 'otel.sdk.processor.log.queue.size']) {
      assert.is(metrics.get(name)!.descriptor.unit, '{log_record}', name);
      assert.ok(metrics.get(name)!.descriptor.description.length > 0, name);
    }
  } finally {
    await h.cleanup();
  }
});

test('the queue size counts the records the ring holds until it is full', async () => {
  const h = harness({ capacity: 64, severityLane: false });
  try {
    for (let i = 0; i < 10; i++) h.emit({ body: `record ${i}`, severityNumber: 9 });
    const metrics = await h.reader.metrics();
    const component = componentOf(metrics);
    assert.equal(series(metrics, 'otel.sdk.processor.log.queue.size'), [[10, component]]);
    assert.equal(series(metrics, 'otel.sdk.processor.log.queue.capacity'), [[64, component]]);
    assert.equal(series(metrics, 'ttlog.ring.overwritten'), [[0, component]]);
  } finally {
    await h.cleanup();
  }
});

test('snapshots are counted by reason, timed and sized; their sizes are the files’', async () => {
  const h = harness();
  try {
    h.emit({ body: 'before the snapshots', severityNumber: 9 });
    const manual = await h.processor.snapshot();
    const custom = await h.processor.snapshot('deploy');
    h.emit({ body: 'something new for the flush to write', severityNumber: 9 });
    await h.processor.forceFlush();
    const metrics = await h.reader.metrics();
    const component = componentOf(metrics);
    const reason = (name: string) => ({ ...component, 'ttlog.snapshot.reason': name });

    assert.equal(
      series(metrics, 'ttlog.snapshot.written').sort(([, a], [, b]) => String(a['ttlog.snapshot.reason']).localeCompare(String(b['ttlog.snapshot.reason']))),
      [
        [1, reason('deploy')],
        [1, reason('flush')],
        [1, reason('manual')],
      ],
    );
    const sizes = new Map(series(metrics, 'ttlog.snapshot.size').map(([value, attributes]) => [attributes['ttlog.snapshot.reason'], value]));
    assert.equal(sizes.get('manual'), { ...(sizes.get('manual') as object), count: 1, sum: statSync(manual).size });
    assert.equal(sizes.get('deploy'), { ...(sizes.get('deploy') as object), count: 1, sum: statSync(custom).size });
    const durations = series(metrics, 'ttlog.snapshot.duration');
    assert.is(durations.length, 3);
    for (const [value] of durations) {
      const histogram = value as { count: number; sum: number };
      assert.is(histogram.count, 1);
      assert.ok(histogram.sum > 0 && histogram.sum < 10, `a snapshot's duration is in seconds: ${histogram.sum}`);
    }
    assert.is(metrics.get('ttlog.snapshot.duration')!.descriptor.unit, 's');
    assert.is(metrics.get('ttlog.snapshot.size')!.descriptor.unit, 'By');
    assert.is(metrics.get('ttlog.snapshot.written')!.descriptor.unit, '{snapshot}');
  } finally {
    await h.cleanup();
  }
});

test('a snapshot that cannot be written is counted with its error.type and timed, not sized', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'ttlog-metrics-'));
  const notADirectory = join(parent, 'file');
  writeFileSync(notADirectory, 'in the way');
  const h = harness({ exporter: new SnapshotExporter({ directory: join(notADirectory, 'snapshots') }) });
  otel.diag.setLogger({ error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, verbose: () => undefined });
  try {
    h.emit({ body: 'doomed', severityNumber: 9 });
    const failure = (await h.processor.snapshot('manual').then(
      () => assert.unreachable('the directory cannot be made'),
      (error: unknown) => error,
    )) as NodeJS.ErrnoException;
    assert.type(failure.code, 'string');
    const metrics = await h.reader.metrics();
    const failed = { ...componentOf(metrics), 'ttlog.snapshot.reason': 'manual', 'error.type': failure.code };
    assert.equal(series(metrics, 'ttlog.snapshot.written'), [[1, failed]]);
    const [duration, attributes] = onlySeries(metrics, 'ttlog.snapshot.duration');
    assert.equal(attributes, failed);
    assert.is((duration as { count: number }).count, 1);
    assert.equal(metrics.get('ttlog.snapshot.size')?.dataPoints ?? [], []);

    await h.processor.shutdown().then(
      () => assert.unreachable('the shutdown snapshot fails too'),
      () => undefined,
    );
    const after = await h.reader.metrics();
    assert.equal(series(after, 'ttlog.snapshot.written'), [
      [1, failed],
      [1, { ...failed, 'ttlog.snapshot.reason': 'shutdown' }],
    ]);
  } finally {
    otel.diag.disable();
    await h.cleanup(true);
    rmSync(parent, { recursive: true, force: true });
  }
});

test('a processor attached to the ring reports its snapshots but not the ring, which its owner reports once', async () => {
  const h = harness({ capacity: 64, severityLane: false });
  const worker = TTLogProcessor.attach(h.processor.handle, { meterProvider: h.meterProvider, exporter: new SnapshotExporter({ directory: h.directory }) });
  const workerLogs = new otel.LoggerProvider({ processors: [worker as never] });
  try {
    (workerLogs.getLogger('worker') as unknown as EmitsLogs).emit({ body: 'from the worker', severityNumber: 9 } as never);
    h.emit({ body: 'from the owner', severityNumber: 9 });
    await worker.snapshot('worker-side');
    const metrics = await h.reader.metrics();
    const owner = componentOf(metrics);
    assert.equal(series(metrics, 'otel.sdk.processor.log.queue.size'), [[2, owner]]);
    assert.equal(series(metrics, 'otel.sdk.processor.log.processed'), [
      [2, owner],
      [0, { ...owner, 'error.type': 'dropped' }],
    ]);
    const [, snapshotAttributes] = onlySeries(metrics, 'ttlog.snapshot.written');
    assert.is(snapshotAttributes['ttlog.snapshot.reason'], 'worker-side');
    assert.is(snapshotAttributes['otel.component.type'], 'TTLogProcessor');
    assert.is.not(snapshotAttributes['otel.component.name'], owner['otel.component.name'], 'each processor is its own component');
  } finally {
    await workerLogs.shutdown();
    await h.cleanup();
  }
});

test('without a meterProvider option the global one is used, even when registered after the processor was made', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-metrics-'));
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory }) });
  const reader = new CollectingReader();
  const sdk = new otel.NodeSDK({ logRecordProcessors: [processor as never], metricReaders: [reader as never] });
  sdk.start();
  try {
    otel.logs.getLogger('global').emit({ body: 'after start', severityNumber: 9 });
    const metrics = await reader.metrics();
    assert.equal(series(metrics, 'otel.sdk.processor.log.queue.size'), [[1, componentOf(metrics)]]);
  } finally {
    await sdk.shutdown();
    otel.logs.disable();
    otel.metrics.disable();
    rmSync(directory, { recursive: true, force: true });
  }
});

test('shutdown() removes the ring callbacks; the shutdown snapshot is still counted', async () => {
  const h = harness({ capacity: 64 });
  try {
    h.emit({ body: 'one', severityNumber: 9 });
    await h.processor.shutdown();
    let reads = 0;
    const stats = h.processor.stats.bind(h.processor);
    h.processor.stats = () => {
      reads++;
      return stats();
    };
    const metrics = await h.reader.metrics();
    assert.is(reads, 0, 'no collection reads the ring of a processor that is shut down');
    const [, attributes] = onlySeries(metrics, 'ttlog.snapshot.written');
    assert.is(attributes['ttlog.snapshot.reason'], 'shutdown');
  } finally {
    await h.cleanup();
  }
});

test.run();
