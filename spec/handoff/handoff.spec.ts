/**
 * `handoff`: records still in the ring leave through a real `OTLPLogExporter` (http/json and
 * http/protobuf) to a local OTLP receiver (otlp-receiver.ts), which decodes what arrives.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SnapshotExporter, TTLogProcessor, type TTLogProcessorOptions } from '../../src/index.ts';
import { otel } from '../support/otel.ts';
import { OtlpReceiver, type ReceivedRecord } from './otlp-receiver.ts';

type Logger = ReturnType<InstanceType<typeof otel.LoggerProvider>['getLogger']>;
type Emitted = Parameters<Logger['emit']>[0];

const SCHEMA_URL = 'https://opentelemetry.io/schemas/1.30.0';
const TRACE_A = '0af7651916cd43dd8448eb211c80319c';
const TRACE_B = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACE_C = '5b8aa5a2d2c872e8321cf37308d69df2';

const cleanup: (() => Promise<void> | void)[] = [];
const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));

const silentDiag = { error() {}, warn() {}, info() {}, debug() {}, verbose() {} };

function directory(): string {
  const path = mkdtempSync(join(tmpdir(), 'ttlog-handoff-'));
  cleanup.push(() => rmSync(path, { recursive: true, force: true }));
  return path;
}

async function receiver(): Promise<OtlpReceiver> {
  const started = await OtlpReceiver.start();
  cleanup.push(() => started.close());
  return started;
}

interface Setup {
  readonly processor: TTLogProcessor;
  readonly provider: InstanceType<typeof otel.LoggerProvider>;
  readonly logger: Logger;
}

function setup(
  exporter: { export: unknown; shutdown: unknown },
  handoff: Partial<NonNullable<TTLogProcessorOptions['handoff']>> = {},
  options: TTLogProcessorOptions = {},
  extra: unknown[] = [],
): Setup {
  const processor = new TTLogProcessor({
    exporter: new SnapshotExporter({ directory: directory() }),
    ...options,
    handoff: { exporter: exporter as never, recover: false, ...handoff },
  });
  const provider = new otel.LoggerProvider({
    resource: otel.resourceFromAttributes({ 'service.name': 'checkout', 'deployment.environment': 'test', 'host.cores': 8 }),
    logRecordLimits: { attributeCountLimit: 6 },
    processors: [processor as never, ...(extra as never[])],
  });
  cleanup.push(() => provider.shutdown());
  return { processor, provider, logger: provider.getLogger('handoff-spec') };
}

function inTrace(traceId: string, spanId = '00f067aa0ba902b7') {
  return otel.trace.setSpanContext(otel.context.active(), { traceId, spanId, traceFlags: otel.TraceFlags.SAMPLED });
}

function bodies(records: readonly ReceivedRecord[]): unknown[] {
  return records.map((record) => record.body);
}

/** Records of every kind of field: scopes with and without version, schema URL and attributes, every body type, traces, events, dropped attributes. */
function logEveryField(provider: Setup['provider']): void {
  const scoped = provider.getLogger('checkout-lib', '2.1.0', { schemaUrl: SCHEMA_URL, attributes: { 'lib.kind': 'http', 'lib.retries': 3 } });
  const plain = provider.getLogger('plain-lib');
  const values: unknown[] = [
    'payment accepted ✓ — ünïcödé 😀',
    '',
    42,
    -7,
    2 ** 40 + 3,
    3.25,
    true,
    false,
    new Uint8Array([0, 1, 127, 128, 254, 255]),
    [1, 'two', 3.5, false, [4, 5], { k: 'v' }],
    { order: { id: 'o-1', lines: [{ sku: 'A', qty: 2 }], total: 19.99, paid: true } },
    undefined,
  ];
  values.forEach((body, n) => {
    const record: Emitted = {
      // Distinct seconds and nanoseconds per record: any loss of a nanosecond shows.
      timestamp: [1_700_000_000 + n, 999_999_999 - n],
      observedTimestamp: [1_700_000_100 + n, n * 7],
      ...(n === 11 ? {} : { severityNumber: (n % 24) + 1 }),
      ...(n % 3 === 0 ? {} : { severityText: n % 3 === 1 ? 'INFO' : 'WARN' }),
      ...(body === undefined ? {} : { body: body as never }),
      attributes:
        n === 5 ? { n, a: 1, b: 'two', c: 3.5, d: true, e: [1, 2], f: 'dropped', g: 'dropped too' } : { n, kind: typeof body, bytes: new Uint8Array([n]) },
      ...(n % 4 === 0 ? { eventName: 'order.placed' } : {}),
      ...(n % 3 === 0 ? { context: inTrace(TRACE_A) } : n % 3 === 1 ? { context: inTrace(TRACE_B, '0000000000000001') } : {}),
    };
    (n % 2 === 0 ? scoped : plain).emit(record);
  });
}

for (const encoding of ['http/json', 'http/protobuf'] as const) {
  test(`${encoding}: every field arrives as the SDK's own OTLP exporter sends it, in one resource and one group per scope`, async () => {
    const viaHandoff = await receiver();
    const direct = await receiver();
    const Exporter = encoding === 'http/json' ? otel.OTLPLogExporter : otel.OTLPProtoLogExporter;
    const { processor, provider } = setup(new Exporter({ url: viaHandoff.url }), {}, {}, [
      new otel.SimpleLogRecordProcessor({ exporter: new Exporter({ url: direct.url }) }),
    ]);
    logEveryField(provider);
    assert.is(await processor.handoff(), 12);
    await direct.until(12);
    const sent = viaHandoff.records();
    const expected = new Map(direct.records().map((record) => [record.attributes.n, record]));
    assert.is(sent.length, 12);
    for (const record of sent) assert.equal(record, expected.get(record.attributes.n), `record ${String(record.attributes.n)}`);
    const byN = (n: number) => sent.find((record) => record.attributes.n === n)!;
    assert.is(byN(5).droppedAttributesCount, 2);
    assert.equal(byN(0).traceId, TRACE_A);
    assert.equal(byN(0).timeUnixNano, 1_700_000_000_999_999_999n);
    assert.equal(byN(0).scope, { name: 'checkout-lib', version: '2.1.0', schemaUrl: SCHEMA_URL, attributes: { 'lib.kind': 'http', 'lib.retries': 3 } });
    assert.equal(sent[0]!.resource, { 'service.name': 'checkout', 'deployment.environment': 'test', 'host.cores': 8 });
    assert.equal(
      viaHandoff.requests.map((request) => [request.resourceLogs, request.scopeLogs]),
      [[1, 2]],
    );
    assert.ok(viaHandoff.requests[0]!.contentType.includes(encoding === 'http/json' ? 'json' : 'protobuf'));
  });
}

test('handoff(traceId) sends exactly that trace; a second handoff() sends only what is new; a third nothing', async () => {
  const otlp = await receiver();
  const { processor, logger } = setup(new otel.OTLPLogExporter({ url: otlp.url }));
  for (let i = 0; i < 30; i++) logger.emit({ body: `record ${i}`, context: inTrace([TRACE_A, TRACE_B, TRACE_C][i % 3]!) });
  logger.emit({ body: 'untraced' });
  assert.is(await processor.handoff(TRACE_B.toUpperCase()), 10);
  assert.equal(new Set(otlp.records().map((record) => record.traceId)), new Set([TRACE_B]));
  assert.equal(
    bodies(otlp.records()),
    Array.from({ length: 10 }, (_, k) => `record ${3 * k + 1}`),
  );
  assert.is(await processor.handoff(TRACE_B), 0, 'that trace again: nothing new');
  logger.emit({ body: 'late', context: inTrace(TRACE_B) });
  assert.is(await processor.handoff(), 22, 'the other traces, the untraced record and the late one');
  assert.equal(bodies(otlp.records().slice(10)), [...Array.from({ length: 30 }, (_, i) => `record ${i}`).filter((_, i) => i % 3 !== 1), 'untraced', 'late']);
  assert.is(await processor.handoff(), 0);
  assert.is(otlp.records().length, 32, 'no record twice');
  assert.equal(processor.stats().handoff, { exported: 32, failed: 0, recoveredFiles: 0, failedFiles: 0 });
});

test('a malformed trace id rejects; a processor without handoff rejects', async () => {
  const otlp = await receiver();
  const { processor } = setup(new otel.OTLPLogExporter({ url: otlp.url }));
  await processor.handoff('not-a-trace').then(
    () => assert.unreachable('resolved'),
    (error: Error) => assert.instance(error, RangeError),
  );
  const plain = new TTLogProcessor({ exporter: new SnapshotExporter({ directory: directory() }) });
  await plain.handoff().then(
    () => assert.unreachable('resolved'),
    (error: Error) => assert.match(error.message, /no handoff option/),
  );
  await plain.shutdown();
});

test('batches of maxExportBatchSize records, one export in flight, bounded by the ring', async () => {
  const otlp = await receiver();
  let inFlight = 0;
  let most = 0;
  const inner = new otel.OTLPLogExporter({ url: otlp.url });
  const counting = {
    export(records: never[], done: (result: { code: number }) => void) {
      inFlight++;
      most = Math.max(most, inFlight);
      inner.export(records, (result) => {
        inFlight--;
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
  };
  const { processor, logger } = setup(counting, { maxExportBatchSize: 100 }, { capacity: 1024, severityLane: false });
  for (let i = 0; i < 3000; i++) logger.emit({ body: `record ${i}` });
  const [first, second] = await Promise.all([processor.handoff(), processor.handoff()]);
  assert.is(first! + second!, 1024, 'what the ring holds, once');
  assert.ok(
    otlp.requests.every((request) => request.records.length <= 100),
    'batches',
  );
  assert.is(otlp.requests.length, 11);
  assert.is(most, 1);
  assert.equal(
    bodies(otlp.records()),
    Array.from({ length: 1024 }, (_, i) => `record ${3000 - 1024 + i}`),
  );
});

test('the severity trigger hands off the failing trace with its window; other traces stay local', async () => {
  const otlp = await receiver();
  const { processor, logger } = setup(new otel.OTLPLogExporter({ url: otlp.url }), {}, { snapshotOnSeverity: { windowMs: 100, minIntervalMs: 0 } });
  for (let i = 0; i < 10; i++) logger.emit({ body: `a ${i}`, context: inTrace(TRACE_A) });
  for (let i = 0; i < 10; i++) logger.emit({ body: `b ${i}`, context: inTrace(TRACE_B) });
  logger.emit({ severityNumber: 17, severityText: 'ERROR', body: 'b failed', context: inTrace(TRACE_B) });
  await new Promise((resolve) => setTimeout(resolve, 20));
  logger.emit({ body: 'b after the error', context: inTrace(TRACE_B) });
  logger.emit({ body: 'a after the error', context: inTrace(TRACE_A) });
  await otlp.until(12);
  // Any hand-off still queued (one sending more than the failing trace would be seen).
  await processor.forceFlush();
  assert.equal(bodies(otlp.records()), [...Array.from({ length: 10 }, (_, i) => `b ${i}`), 'b failed', 'b after the error']);
  assert.is(processor.stats().handoff?.exported, 12);
});

test("scope 'all' and an error without a trace hand off everything new", async () => {
  for (const [scope, context] of [
    ['all', inTrace(TRACE_B)],
    ['trace', undefined],
  ] as const) {
    const otlp = await receiver();
    const { logger } = setup(new otel.OTLPLogExporter({ url: otlp.url }), { scope }, { snapshotOnSeverity: { windowMs: 0, minIntervalMs: 0 } });
    logger.emit({ body: 'a', context: inTrace(TRACE_A) });
    logger.emit({ body: 'untraced' });
    logger.emit({ severityNumber: 17, body: 'failed', ...(context === undefined ? {} : { context }) });
    await otlp.until(3);
    assert.equal(bodies(otlp.records()), ['a', 'untraced', 'failed'], scope);
  }
});

test('receiver down, HTTP 500 or too slow: emit loses nothing, no unhandled rejection, the failures are counted', async () => {
  const otlp = await receiver();
  const down = await OtlpReceiver.start();
  const downUrl = down.url;
  await down.close();
  for (const [name, url, behaviour] of [
    ['connection refused', downUrl, {}],
    ['HTTP 500', otlp.url, { fail: true }],
    ['5 s delay', otlp.url, { delayMs: 5000 }],
  ] as const) {
    otlp.behaviour = behaviour;
    const { processor, logger } = setup(new otel.OTLPLogExporter({ url, timeoutMillis: 20_000 }), { timeoutMillis: 1000 });
    for (let i = 0; i < 50; i++) logger.emit({ body: `record ${i}`, context: inTrace(TRACE_A) });
    const started = performance.now();
    assert.is(await processor.handoff(), 0, name);
    assert.ok(performance.now() - started < 4000, `${name}: bounded by timeoutMillis`);
    const stats = processor.stats();
    assert.is(stats.written, 50, `${name}: every record is in the ring`);
    assert.equal(stats.handoff, { exported: 0, failed: 50, recoveredFiles: 0, failedFiles: 0 }, name);
    assert.is(await processor.handoff(), 0, `${name}: failed records are not sent again`);
  }
  otlp.behaviour = {};
  assert.equal(unhandled, []);
});

test('an exporter that throws or never answers is a failed export, never an error in emit', async () => {
  for (const exporter of [
    {
      export() {
        throw new Error('boom');
      },
      shutdown: async () => {},
    },
    { export() {}, shutdown: async () => {} },
  ]) {
    const { processor, logger } = setup(exporter, { timeoutMillis: 100 }, { snapshotOnSeverity: { windowMs: 0, minIntervalMs: 0 } });
    logger.emit({ severityNumber: 17, body: 'failed', context: inTrace(TRACE_A) });
    assert.is(await processor.handoff(), 0);
    // The trigger's own hand-off too, whichever of the two took the record.
    await processor.forceFlush();
    assert.is(processor.stats().handoff?.failed, 1);
  }
  assert.equal(unhandled, []);
});

test('shutdown hands off what is new, then shuts the exporter down; forceFlush flushes it', async () => {
  const otlp = await receiver();
  const calls: string[] = [];
  const inner = new otel.OTLPLogExporter({ url: otlp.url });
  const exporter = {
    export: (records: never[], done: (result: { code: number }) => void) => inner.export(records, done),
    forceFlush: async () => {
      calls.push('forceFlush');
      await inner.forceFlush();
    },
    shutdown: async () => {
      calls.push(`shutdown after ${otlp.records().length} records`);
      await inner.shutdown();
    },
  };
  const { processor, logger } = setup(exporter);
  logger.emit({ body: 'one' });
  await processor.forceFlush();
  logger.emit({ body: 'two' });
  await processor.shutdown();
  await processor.shutdown();
  assert.equal(calls, ['forceFlush', 'shutdown after 2 records']);
  assert.equal(bodies(otlp.records()), ['one', 'two']);
  assert.is(await processor.handoff(), 0, 'after shutdown');
});

test('shutdown and forceFlush settle within timeoutMillis when the exporter never answers', async () => {
  const never = new Promise<void>(() => {});
  const exporter = { export() {}, forceFlush: () => never, shutdown: () => never };
  const { processor, logger } = setup(exporter, { timeoutMillis: 200 });
  logger.emit({ body: 'never exported' });
  const within = (work: Promise<unknown>) =>
    Promise.race([work.then(() => 'settled'), new Promise((resolve) => setTimeout(resolve, 10_000, 'still waiting after 10 s')).then(String)]);
  assert.is(await within(processor.forceFlush()), 'settled', 'forceFlush');
  assert.is(await within(processor.shutdown()), 'settled', 'shutdown');
  assert.equal(processor.stats().handoff, { exported: 0, failed: 1, recoveredFiles: 0, failedFiles: 0 });
});

test('a snapshot directory that does not exist yet has no crash files: no failure reported', async () => {
  const warnings: string[] = [];
  otel.diag.setLogger({ ...silentDiag, warn: (message: string) => warnings.push(message) }, otel.DiagLogLevel.WARN);
  try {
    const otlp = await receiver();
    const processor = new TTLogProcessor({
      exporter: new SnapshotExporter({ directory: join(directory(), 'not', 'made', 'yet') }),
      handoff: { exporter: new otel.OTLPLogExporter({ url: otlp.url }) as never },
    });
    const provider = new otel.LoggerProvider({ resource: otel.resourceFromAttributes({ 'service.name': 'fresh' }), processors: [processor as never] });
    cleanup.push(() => provider.shutdown());
    provider.getLogger('fresh').emit({ body: 'first record of a fresh service' });
    // The recovery pass reads the directory first; the flush's snapshot makes it afterwards.
    await new Promise((resolve) => setImmediate(resolve));
    await processor.forceFlush();
    assert.equal(warnings, []);
    assert.equal(processor.stats().handoff, { exported: 0, failed: 0, recoveredFiles: 0, failedFiles: 0 });
  } finally {
    otel.diag.disable();
  }
});

test.after(async () => {
  for (const step of cleanup.reverse()) await step();
});

test.run();
