/**
 * Typed events (`processor.event(name, options).emit(attributes, body?)`), through the public
 * API: each record must read back from a snapshot exactly as the same record logged through a
 * real OpenTelemetry LoggerProvider into the same processor, on either SDK line.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readSnapshot, SnapshotExporter, type SnapshotRecord, TTLogProcessor, type TTLogProcessorOptions, type TypedEventOptions } from '../../src/index.ts';
import type { EventWorkerData } from '../support/event-worker.ts';
import { otel } from '../support/otel.ts';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';
const SCHEMA_URL = 'https://opentelemetry.io/schemas/1.26.0';
const REQUEST_DONE: TypedEventOptions = {
  severity: 'INFO',
  scope: 'checkout',
  attributes: { 'http.route': 'string', 'http.status_code': 'int', duration_ms: 'double', 'cache.hit': 'boolean' },
};

otel.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

const directories: string[] = [];

function harness(options: TTLogProcessorOptions = {}) {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-'));
  directories.push(directory);
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory }), ...options });
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  const read = async (): Promise<SnapshotRecord[]> => {
    const snapshot = await readSnapshot(await processor.snapshot());
    assert.equal(snapshot.damage, []);
    const { written, captured, overwritten, skipped } = snapshot.metadata.counters;
    assert.is(written, captured + overwritten + skipped, 'accounting identity');
    return snapshot.records;
  };
  return { directory, processor, provider, read };
}

/** What must match between a typed event's record and the SDK's: all but its place and time. */
function fields(record: SnapshotRecord): Partial<SnapshotRecord> {
  const { seq: _seq, timestamp: _timestamp, observedTimestamp: _observed, ...rest } = record;
  return rest;
}

function assertSameRecord(typed: SnapshotRecord, logged: SnapshotRecord): void {
  assert.equal(fields(typed), fields(logged));
  // Both take their time from Date.now(), the SDK's and the event's a few calls apart.
  assert.ok(typed.timestamp > 0n && logged.timestamp - typed.timestamp < 1_000_000_000n && typed.timestamp - logged.timestamp < 1_000_000_000n);
  assert.is(typed.observedTimestamp, typed.timestamp);
}

test('a typed event reads back as the same record logged through the SDK', async () => {
  const { processor, provider, read } = harness();
  const requestDone = processor.event('http.request.done', REQUEST_DONE);
  const attributes = { 'http.route': '/api/orders/:id', 'http.status_code': 200, duration_ms: 12.5, 'cache.hit': true };
  requestDone.emit(attributes, 'request handled');
  provider.getLogger('checkout').emit({ eventName: 'http.request.done', severityNumber: 9, severityText: 'INFO', body: 'request handled', attributes });
  // A double that is a whole number, a long and a non-ASCII string, no body.
  const odd = { 'http.route': 'é/'.repeat(40), 'http.status_code': 2 ** 40, duration_ms: 3, 'cache.hit': false };
  requestDone.emit(odd);
  provider.getLogger('checkout').emit({ eventName: 'http.request.done', severityNumber: 9, severityText: 'INFO', attributes: odd });
  const [typed, logged, typedOdd, loggedOdd] = await read();
  assert.equal(typed!.attributes, attributes);
  assert.is(typed!.body, 'request handled');
  assert.is(typed!.eventName, 'http.request.done');
  assert.is(typed!.severityNumber, 9);
  assert.is(typed!.severityText, 'INFO');
  assert.equal(typed!.scope, { name: 'checkout' });
  assertSameRecord(typed!, logged!);
  assertSameRecord(typedOdd!, loggedOdd!);
  assert.is(typedOdd!.body, undefined);
  await provider.shutdown();
});

test('a scope with version and schemaUrl, a numeric severity with its own text, and any body match the SDK too', async () => {
  const { processor, provider, read } = harness();
  const scope = { name: 'payments', version: '2.1.0', schemaUrl: SCHEMA_URL };
  const charged = processor.event('payment.charged', { severity: 10, severityText: 'notice', scope, attributes: { amount: 'double' } });
  const logger = provider.getLogger('payments', '2.1.0', { schemaUrl: SCHEMA_URL });
  const body = { order: 'A-17', items: [1, 2, { sku: 'x' }], raw: new Uint8Array([1, 2, 3]) };
  charged.emit({ amount: 99.95 }, body);
  logger.emit({ eventName: 'payment.charged', severityNumber: 10, severityText: 'notice', body, attributes: { amount: 99.95 } });
  for (const value of [7, false, 'text']) {
    charged.emit({ amount: 1.5 }, value);
    logger.emit({ eventName: 'payment.charged', severityNumber: 10, severityText: 'notice', body: value, attributes: { amount: 1.5 } });
  }
  const records = await read();
  assert.is(records.length, 8);
  for (let i = 0; i < records.length; i += 2) assertSameRecord(records[i]!, records[i + 1]!);
  assert.equal(records[0]!.scope, { name: 'payments', version: '2.1.0', schemaUrl: SCHEMA_URL });
  await provider.shutdown();
});

test('a record too large for its slot is trimmed as the SDK path trims it', async () => {
  const { processor, provider, read } = harness({ maxRecordBytes: 256 });
  const long = processor.event('long', { scope: 'trim', attributes: { text: 'string', n: 'int' } });
  const attributes = { text: 'x'.repeat(1000), n: 5 };
  long.emit(attributes, 'y'.repeat(300));
  provider.getLogger('trim').emit({ eventName: 'long', severityNumber: 9, severityText: 'INFO', body: 'y'.repeat(300), attributes });
  const [typed, logged] = await read();
  assert.ok(typed!.truncated);
  assertSameRecord(typed!, logged!);
  assert.is(processor.stats().truncated, 2);
  await provider.shutdown();
});

test('with a full intern table every name travels inline, and long strings take a wider header, as on the SDK path', async () => {
  const { processor, provider, read } = harness({ internCapacity: 0, maxRecordBytes: 64 * 1024 });
  const inline = processor.event('inline.names', { scope: { name: 'inline', version: '1' }, attributes: { text: 'string', n: 'int' } });
  const logger = provider.getLogger('inline', '1');
  for (const text of ['short', 'ü'.repeat(3000), 'a'.repeat(5000)]) {
    inline.emit({ text, n: -3 }, text);
    logger.emit({ eventName: 'inline.names', severityNumber: 9, severityText: 'INFO', body: text, attributes: { text, n: -3 } });
  }
  const records = await read();
  assert.is(records.length, 6);
  for (let i = 0; i < records.length; i += 2) assertSameRecord(records[i]!, records[i + 1]!);
  assert.is(records[2]!.attributes.text, 'ü'.repeat(3000));
  assert.not.ok(records[2]!.truncated);
  await provider.shutdown();
});

test('warnings and errors take the reserve lane, as SDK records do', async () => {
  const { processor, provider, read } = harness();
  const failed = processor.event('http.request.failed', { severity: 'ERROR', scope: 'checkout', attributes: { 'http.status_code': 'int' } });
  failed.emit({ 'http.status_code': 503 });
  provider.getLogger('checkout').emit({ eventName: 'http.request.failed', severityNumber: 17, severityText: 'ERROR', attributes: { 'http.status_code': 503 } });
  const records = await read();
  assert.is(records.length, 2);
  assert.is(records[0]!.lane, 1);
  assertSameRecord(records[0]!, records[1]!);
  await provider.shutdown();
});

test('an event at the severity trigger threshold triggers a snapshot', async () => {
  const { directory, processor, provider } = harness({ snapshotOnSeverity: { severityNumber: 17, windowMs: 0, minIntervalMs: 0 } });
  processor.event('disk.full', { severity: 'FATAL', scope: 'storage' }).emit({}, 'no space left');
  const deadline = Date.now() + 5000;
  while (!readdirSync(directory).some((name) => name.endsWith('-error.bin')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  const file = readdirSync(directory).find((name) => name.endsWith('-error.bin'));
  assert.ok(file, 'an error snapshot was written');
  const snapshot = await readSnapshot(join(directory, file!));
  assert.equal(snapshot.metadata.cause, { severityNumber: 21, triggeringRecords: 1 });
  assert.is(snapshot.records.at(-1)!.body, 'no space left');
  await provider.shutdown();
});

test('inside an active span the record carries its trace context, as the SDK records it; context: false leaves it out', async () => {
  const { processor, provider, read } = harness();
  const requestDone = processor.event('http.request.done', REQUEST_DONE);
  const untraced = processor.event('http.request.done', { ...REQUEST_DONE, context: false });
  const logger = provider.getLogger('checkout');
  const attributes = { 'http.route': '/health', 'http.status_code': 204, duration_ms: 0.25, 'cache.hit': false };
  const active = otel.trace.setSpanContext(otel.context.active(), { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: otel.TraceFlags.SAMPLED });
  otel.context.with(active, () => {
    requestDone.emit(attributes);
    logger.emit({ eventName: 'http.request.done', severityNumber: 9, severityText: 'INFO', attributes });
    untraced.emit(attributes);
  });
  requestDone.emit(attributes);
  const [typed, logged, withoutContext, outsideSpan] = await read();
  assert.is(typed!.traceId, TRACE_ID);
  assert.is(typed!.spanId, SPAN_ID);
  assert.is(typed!.traceFlags, 1);
  assertSameRecord(typed!, logged!);
  assert.is(withoutContext!.traceId, undefined);
  assert.is(outsideSpan!.traceId, undefined);
  await provider.shutdown();
});

test('a span a tracer made active (startActiveSpan) is recorded too', async () => {
  const { processor, provider, read } = harness();
  const step = processor.event('step', { scope: 'work', attributes: { n: 'int' } });
  const tracer = otel.trace.getTracer('spec');
  let ids: { traceId: string; spanId: string } | undefined;
  // Without a registered SDK the API's tracer starts non-recording spans that carry their parent's
  // context, which is all a log record takes from a span.
  const span = otel.trace.wrapSpanContext({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 0 });
  otel.context.with(otel.trace.setSpan(otel.context.active(), span), () => {
    tracer.startActiveSpan('child', (child) => {
      ids = child.spanContext();
      step.emit({ n: 1 });
      child.end();
    });
  });
  const [record] = await read();
  assert.is(record!.traceId, ids!.traceId);
  assert.is(record!.spanId, ids!.spanId);
  assert.is(record!.traceFlags, 0);
  await provider.shutdown();
});

test('values of the wrong type are converted or left out, counted, and never thrown', async () => {
  const { processor, provider, read } = harness();
  const typed = processor.event('typed', { scope: 'coercion', attributes: { s: 'string', i: 'int', d: 'double', b: 'boolean' } });
  typed.emit({ s: 42, i: '7', d: '2.5', b: 1 });
  typed.emit({ s: 10n, i: 2.7, d: true, b: 'false' });
  typed.emit({ s: {}, i: 'seven', d: Symbol('d'), b: 'maybe' });
  typed.emit({ i: Number.NaN, d: Number.NaN });
  typed.emit({ s: null, i: undefined });
  typed.emit(null);
  typed.emit(undefined, 'no attributes');
  typed.emit('not an object' as never);
  const throwing = {
    get s(): string {
      throw new Error('a getter that throws');
    },
  };
  typed.emit(throwing);
  assert.equal(processor.stats().typedEvents, { coercedValues: 8, droppedValues: 5 });
  assert.is(processor.stats().dropped, 1, 'the record whose attributes could not be read');
  const records = await read();
  assert.equal(
    records.map((record) => [record.attributes, record.droppedAttributesCount]),
    [
      [{ s: '42', i: 7, d: 2.5, b: true }, 0],
      [{ s: '10', i: 2, d: 1, b: false }, 0],
      [{}, 4],
      [{ d: Number.NaN }, 1],
      [{}, 0],
      [{}, 0],
      [{}, 0],
      [{}, 0],
    ],
  );
  assert.is(records[6]!.body, 'no attributes');
  await provider.shutdown();
});

test('a getter that emits the same event records both, each with its own values', async () => {
  const { processor, provider, read } = harness();
  const nested = processor.event('nested', { scope: 'reentry', attributes: { a: 'int', b: 'int' } });
  nested.emit({
    a: 1,
    get b(): number {
      nested.emit({ a: 10, b: 20 });
      return 2;
    },
  });
  const records = await read();
  assert.equal(
    records.map((record) => record.attributes),
    [
      { a: 10, b: 20 },
      { a: 1, b: 2 },
    ],
  );
  await provider.shutdown();
});

test('declarations that cannot be recorded throw a TypeError at declaration', () => {
  const { processor } = harness({ exporter: undefined as never });
  const declare =
    (options: unknown, name: unknown = 'event') =>
    () =>
      processor.event(name as string, options as TypedEventOptions);
  assert.throws(
    declare({ scope: 's', attributes: { a: 'float' } }),
    (error: unknown) => error instanceof TypeError && /'a' has type "float"/.test(String(error)),
  );
  assert.throws(declare({ scope: 's', attributes: { a: 3 } }), TypeError);
  assert.throws(declare({ attributes: { a: 'int' } }), /scope/);
  assert.throws(declare({ scope: '' }), /scope/);
  assert.throws(declare({ scope: 's', severity: 'NOTICE' }), /severity/);
  assert.throws(declare({ scope: 's', severity: 25 }), /severity/);
  assert.throws(declare({ scope: 's', context: 'yes' }), /context/);
  assert.throws(declare({ scope: 's' }, ''), /name/);
  assert.throws(declare(undefined), /options/);
  const many = Object.fromEntries(Array.from({ length: 128 }, (_, i) => [`a${i}`, 'int']));
  assert.throws(declare({ scope: 's', attributes: many }), /at most 127/);
  assert.not.throws(declare({ scope: 's', severity: 'WARN3', attributes: { a: 'int', b: 'double', c: 'string', d: 'boolean' } }));
});

test('after shutdown, emit and event() do nothing; a shut-down ring counts no more records', async () => {
  const { processor, read } = harness();
  const early = processor.event('early', { scope: 'life', attributes: { n: 'int' } });
  early.emit({ n: 1 });
  const records = await read();
  assert.is(records.length, 1);
  await processor.shutdown();
  early.emit({ n: 2 });
  const late = processor.event('late', { scope: 'life', attributes: { n: 'int' } });
  late.emit({ n: 3 });
  assert.is(processor.stats().written, 1);
  assert.throws(() => processor.event('late', { scope: 'life', attributes: { n: 'long' as never } }), TypeError);
});

test('worker threads emit typed events into the owner’s ring through attach', async () => {
  const { processor, read } = harness({ capacity: 4096 });
  const count = 1500;
  const results = await Promise.all(
    [1, 2].map((worker) => {
      const data: EventWorkerData = { handle: processor.handle, worker, count };
      const script = new URL('../support/event-worker.ts', import.meta.url).href;
      const thread = new Worker(new URL('../support/ts-worker.mjs', import.meta.url), { argv: [script], workerData: data });
      return new Promise<{ emitted: number; stats: { written: number } }>((resolve, reject) => {
        thread.once('message', resolve);
        thread.once('error', reject);
      });
    }),
  );
  assert.equal(
    results.map((result) => result.emitted),
    [count, count],
  );
  assert.is(processor.stats().written, 2 * count);
  const records = await read();
  assert.is(records.length, 2 * count);
  for (const worker of [1, 2]) {
    const own = records.filter((record) => record.scope.name === `worker-${worker}`);
    assert.equal(
      own.map((record) => record.attributes.index),
      Array.from({ length: count }, (_, index) => index),
    );
    for (const record of own) {
      assert.equal(record.attributes, { worker, index: record.attributes.index!, 'job.kind': (record.attributes.index as number) % 2 === 0 ? 'even' : 'odd' });
      assert.is(record.body, `job ${String(record.attributes.index)}`);
      assert.is(record.eventName, 'job.done');
    }
  }
  await processor.shutdown();
});

test.after(() => {
  for (const directory of directories) if (existsSync(directory)) rmSync(directory, { recursive: true, force: true });
});

test.run();
