import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readSnapshot, type Snapshot, SnapshotExporter, type SnapshotRecord, TTLogProcessor, type TTLogProcessorOptions } from '../src/index.ts';
import { otel } from './support/otel.ts';
import { recordWithResource } from './support/record-with-resource.ts';
import { splitSnapshot } from './support/snapshot-chunks.ts';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';
const SCHEMA_URL = 'https://opentelemetry.io/schemas/1.26.0';
const RESOURCE = {
  'service.name': 'checkout',
  'service.instance.id': 'resource-marker-5f0c1d7e-9a2b',
  'host.cores': 3,
  'deployment.tags': ['blue', 'canary'],
};

type LogRecordInput = Record<string, unknown>;
interface EmitsLogs {
  emit(record: never): void;
}
interface ReadableRecord {
  readonly hrTime: readonly [number, number];
  readonly hrTimeObserved: readonly [number, number];
  readonly severityNumber?: number | undefined;
  readonly severityText?: string | undefined;
  readonly body?: unknown;
  readonly attributes: Record<string, unknown>;
  readonly eventName?: string | undefined;
  readonly spanContext?: { traceId: string; spanId: string; traceFlags: number } | undefined;
  readonly droppedAttributesCount: number;
  readonly instrumentationScope: {
    name: string;
    version?: string | undefined;
    schemaUrl?: string | undefined;
    attributes?: Record<string, unknown> | undefined;
  };
}

/** A processor writing to its own temp directory, in a provider beside an in-memory exporter that shows what the SDK passed. */
function harness(options: TTLogProcessorOptions = {}, providerOptions: Record<string, unknown> = {}) {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-'));
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory, serviceName: 'spec' }), ...options });
  const memory = new otel.InMemoryLogRecordExporter();
  const provider = new otel.LoggerProvider({
    resource: otel.resourceFromAttributes(RESOURCE),
    processors: [processor as never, new otel.SimpleLogRecordProcessor({ exporter: memory })],
    ...providerOptions,
  });
  return {
    directory,
    processor,
    provider,
    sdkRecords: () => memory.getFinishedLogRecords() as unknown as ReadableRecord[],
    files: () => readdirSync(directory).sort(),
    cleanup: () => rmSync(directory, { recursive: true, force: true }),
  };
}

function emit(logger: EmitsLogs, record: LogRecordInput): void {
  logger.emit(record as never);
}

function nanos(time: readonly [number, number]): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}

/** What a snapshot record must hold for a record the SDK handed to its processors. */
function expectedRecord(record: ReadableRecord): Omit<SnapshotRecord, 'seq' | 'producer' | 'truncated'> {
  const scope = record.instrumentationScope;
  return {
    timestamp: nanos(record.hrTime),
    observedTimestamp: nanos(record.hrTimeObserved),
    severityNumber: record.severityNumber ?? 0,
    ...(record.severityText === undefined ? {} : { severityText: record.severityText }),
    ...(record.body === undefined ? {} : { body: record.body as never }),
    attributes: record.attributes as never,
    ...(record.eventName === undefined ? {} : { eventName: record.eventName }),
    scope: {
      name: scope.name,
      ...(scope.version === undefined ? {} : { version: scope.version }),
      ...(scope.schemaUrl === undefined ? {} : { schemaUrl: scope.schemaUrl }),
      ...(scope.attributes === undefined || Object.keys(scope.attributes).length === 0 ? {} : { attributes: scope.attributes as never }),
    },
    ...(record.spanContext === undefined
      ? {}
      : { traceId: record.spanContext.traceId, spanId: record.spanContext.spanId, traceFlags: record.spanContext.traceFlags }),
    droppedAttributesCount: record.droppedAttributesCount,
    // Warnings and worse are kept in the reserve lane (the default severityLane).
    ...((record.severityNumber ?? 0) >= 13 ? { lane: 1 } : {}),
  };
}

function withoutIdentity(record: SnapshotRecord): Omit<SnapshotRecord, 'seq' | 'producer' | 'truncated'> {
  const { seq: _seq, producer: _producer, truncated: _truncated, ...rest } = record;
  return rest;
}

function byAttribute(snapshot: Snapshot, key: string): Map<unknown, SnapshotRecord> {
  return new Map(snapshot.records.map((record) => [record.attributes[key], record]));
}

function assertAccounting(snapshot: Snapshot): void {
  const { written, captured, overwritten, skipped } = snapshot.metadata.counters;
  assert.is(written, captured + overwritten + skipped, 'written = captured + overwritten + skipped');
  assert.is(captured, snapshot.records.length);
}

const BODIES: ReadonlyArray<readonly [string, unknown]> = [
  ['string', 'payment accepted ✓ — ünïcödé 😀'],
  ['empty string', ''],
  ['int', 42],
  ['negative int', -7],
  ['int32 max', 2 ** 31 - 1],
  ['int32 min', -(2 ** 31)],
  ['beyond int32', 2 ** 40 + 3],
  ['max safe integer', Number.MAX_SAFE_INTEGER],
  ['float', 3.25],
  ['smallest float', 5e-324],
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['true', true],
  ['false', false],
  ['null', null],
  ['small bigint', 5n],
  ['int64 max bigint', 2n ** 63n - 1n],
  ['int64 min bigint', -(2n ** 63n)],
  ['bigint 2^70', 2n ** 70n],
  ['bigint -2^70', -(2n ** 70n)],
  ['bytes', new Uint8Array([0, 1, 127, 128, 254, 255])],
  ['empty bytes', new Uint8Array(0)],
  ['array', [1, 'two', 3.5, false, null, [4n, 2n ** 70n], new Uint8Array([9]), { k: 'v' }]],
  ['empty array', []],
  ['nested map', { order: { id: 'o-1', lines: [{ sku: 'A', qty: 2 }], total: 19.99, paid: true, meta: {} } }],
  ['empty map', {}],
  ['__proto__ key', JSON.parse('{"__proto__": {"polluted": true}, "after": 1}') as unknown],
];

test('every field and every AnyValue body type round-trips through a LoggerProvider', async () => {
  const h = harness();
  try {
    const scoped = h.provider.getLogger('checkout-lib', '2.1.0', { schemaUrl: SCHEMA_URL, attributes: { 'lib.kind': 'http', 'lib.retries': 3 } });
    const plain = h.provider.getLogger('plain-lib');
    const traced = otel.trace.setSpanContext(otel.context.active(), { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: otel.TraceFlags.SAMPLED });
    const untraced = otel.trace.setSpanContext(otel.context.active(), {
      traceId: 'ffffffffffffffffffffffffffffffff',
      spanId: '0000000000000001',
      traceFlags: otel.TraceFlags.NONE,
    });
    BODIES.forEach(([name, body], n) => {
      emit(n % 2 === 0 ? scoped : plain, {
        // Distinct seconds and nanoseconds per record: any loss of a nanosecond shows.
        timestamp: [1_700_000_000 + n, 999_999_999 - n],
        observedTimestamp: [1_700_000_100 + n, n * 7],
        severityNumber: (n % 24) + 1,
        ...(n % 3 === 0 ? {} : { severityText: n % 3 === 1 ? 'INFO' : 'WARN' }),
        body,
        attributes: { n, kind: name },
        ...(n % 4 === 0 ? { eventName: 'order.placed' } : {}),
        ...(n % 5 === 0 ? { context: traced } : n % 5 === 1 ? { context: untraced } : {}),
      });
    });
    await h.provider.forceFlush();
    const [file] = h.files();
    const snapshot = await readSnapshot(join(h.directory, file!));
    assert.is(snapshot.records.length, BODIES.length);
    assert.is(h.sdkRecords().length, BODIES.length);
    assert.equal(snapshot.damage, []);
    assertAccounting(snapshot);
    const records = byAttribute(snapshot, 'n');
    for (const sdkRecord of h.sdkRecords()) {
      const n = sdkRecord.attributes.n as number;
      const record = records.get(n);
      assert.ok(record, `record ${n} (${BODIES[n]![0]}) is in the snapshot`);
      assert.equal(withoutIdentity(record), expectedRecord(sdkRecord), `record ${n} (${BODIES[n]![0]})`);
      assert.is(record.truncated, false);
      assert.is(record.producer, 0);
    }

    // Spot checks that do not lean on the SDK's view or on deep equality.
    const get = (name: string) => records.get(BODIES.findIndex(([kind]) => kind === name))!;
    assert.is(get('string').timestamp, 1_700_000_000_999_999_999n);
    assert.is(get('string').observedTimestamp, 1_700_000_100_000_000_000n);
    assert.ok(Number.isNaN(get('NaN').body));
    assert.is(get('-Infinity').body, -Infinity);
    assert.is(get('int64 max bigint').body, 2n ** 63n - 1n);
    assert.is(get('small bigint').body, 5n, 'a bigint stays a bigint');
    assert.is(get('bigint -2^70').body, -(2n ** 70n));
    assert.is(get('beyond int32').body, 2 ** 40 + 3);
    assert.ok(get('bytes').body instanceof Uint8Array);
    assert.is(get('null').body, null);
    assert.equal(get('empty map').body, {});
    assert.equal(get('empty array').body, []);
    const proto = get('__proto__ key').body as Record<string, unknown>;
    assert.is(Object.getPrototypeOf(proto), Object.prototype, 'a "__proto__" key does not become the prototype');
    assert.ok(Object.hasOwn(proto, '__proto__'));
    assert.equal(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value, { polluted: true });
    assert.is(({} as Record<string, unknown>).polluted, undefined);

    const first = get('string');
    assert.is(first.eventName, 'order.placed');
    assert.is(first.traceId, TRACE_ID);
    assert.is(first.spanId, SPAN_ID);
    assert.is(first.traceFlags, 1);
    assert.equal(first.scope, { name: 'checkout-lib', version: '2.1.0', schemaUrl: SCHEMA_URL, attributes: { 'lib.kind': 'http', 'lib.retries': 3 } });
    assert.equal(get('empty string').scope, { name: 'plain-lib' });
    assert.is(get('empty string').traceFlags, 0, 'trace flags NONE are kept as 0');
    assert.not.ok('traceId' in get('int'), 'no trace fields without a span context');
    assert.not.ok('severityText' in first);
    assert.is(get('empty string').severityText, 'INFO');
  } finally {
    h.cleanup();
  }
});

test('timestamps given as epoch milliseconds, Dates and far-apart HrTimes are kept to the nanosecond', async () => {
  const h = harness();
  try {
    const logger = h.provider.getLogger('time');
    // Epoch milliseconds must be later than performance.timeOrigin for the SDK to read them as such.
    emit(logger, { timestamp: 4_102_444_800_123, observedTimestamp: 4_102_444_800_123.5, attributes: { n: 'ms' } });
    emit(logger, { timestamp: new Date(Date.UTC(2099, 0, 2, 3, 4, 5, 678)), attributes: { n: 'date' } });
    emit(logger, { timestamp: [0, 1], observedTimestamp: [4_102_444_800, 999_999_999], attributes: { n: 'epoch' } });
    emit(logger, { timestamp: [2_000_000_000, 5], observedTimestamp: [0, 0], attributes: { n: 'far' } });
    const path = await h.processor.snapshot('times');
    const snapshot = await readSnapshot(path);
    const records = byAttribute(snapshot, 'n');
    assert.is(records.get('ms')!.timestamp, 4_102_444_800_123_000_000n);
    assert.is(records.get('ms')!.observedTimestamp, 4_102_444_800_123_500_000n);
    assert.is(records.get('date')!.timestamp, BigInt(Date.UTC(2099, 0, 2, 3, 4, 5, 678)) * 1_000_000n);
    assert.is(records.get('epoch')!.timestamp, 1n);
    assert.is(records.get('epoch')!.observedTimestamp, 4_102_444_800_999_999_999n);
    assert.is(records.get('far')!.timestamp, 2_000_000_000_000_000_005n);
    assert.is(records.get('far')!.observedTimestamp, 0n);
    for (const sdkRecord of h.sdkRecords()) {
      const record = records.get(sdkRecord.attributes.n)!;
      assert.is(record.timestamp, nanos(sdkRecord.hrTime));
      assert.is(record.observedTimestamp, nanos(sdkRecord.hrTimeObserved));
    }
    assert.equal(
      snapshot.records.map((record) => record.attributes.n),
      ['epoch', 'far', 'date', 'ms'],
      'records come out in time order',
    );
  } finally {
    h.cleanup();
  }
});

test('a timestamp that is not a finite number is recorded as the epoch, and the record is kept', async () => {
  const h = harness();
  try {
    const logger = h.provider.getLogger('time');
    emit(logger, { timestamp: [Number.NaN, 0], observedTimestamp: [Number.POSITIVE_INFINITY, 0], attributes: { n: 'broken' } });
    emit(logger, { timestamp: [1_700_000_000, 7], attributes: { n: 'fine' } });
    const snapshot = await readSnapshot(await h.processor.snapshot('times'));
    const records = byAttribute(snapshot, 'n');
    assert.is(snapshot.records.length, 2);
    assert.is(records.get('broken')!.timestamp, 0n);
    assert.is(records.get('broken')!.observedTimestamp, 0n);
    assert.is(records.get('fine')!.timestamp, 1_700_000_000_000_000_007n);
    assert.equal(snapshot.damage, []);
  } finally {
    h.cleanup();
  }
});

test('attributes keep exactly what the SDK passes on, with their types', async () => {
  const h = harness();
  try {
    const attributes: LogRecordInput = {
      str: 'text',
      empty: '',
      int: -12,
      big: 2 ** 53 - 1,
      float: 0.1,
      nan: NaN,
      yes: true,
      no: false,
      nothing: null,
      bytes: new Uint8Array([1, 2, 3]),
      list: [1, 'a', true, null, 2.5],
      nestedList: [[1, [2, [3]]]],
      map: { nested: { deep: [1, { x: 'y' }] }, empty: {} },
      // Not AnyValue for the SDK: both lines drop these before a processor sees them.
      bigint: 5n,
      fn: () => 1,
      date: new Date(0),
      // The 0.2xx line passes undefined on, the 3.x line drops it; either way the snapshot matches the SDK.
      missing: undefined,
    };
    emit(h.provider.getLogger('attrs'), { body: 'attrs', attributes });
    const snapshot = await readSnapshot(await h.processor.snapshot());
    const [record] = snapshot.records;
    const [sdkRecord] = h.sdkRecords();
    assert.equal(record!.attributes, sdkRecord!.attributes);
    const kept = ['str', 'empty', 'int', 'big', 'float', 'nan', 'yes', 'no', 'nothing', 'bytes', 'list', 'nestedList', 'map'];
    for (const key of kept) assert.equal(record!.attributes[key], attributes[key], key);
    for (const key of ['bigint', 'fn', 'date']) assert.not.ok(key in record!.attributes, `${key} is dropped by the SDK`);
    assert.is(record!.truncated, false);
  } finally {
    h.cleanup();
  }
});

test('only own attributes are recorded, even when a "__proto__" attribute gave the attributes object a prototype', async () => {
  const h = harness();
  try {
    // Both SDK lines copy attributes by assignment, so a "__proto__" key replaces the prototype of
    // the record's attributes object instead of becoming an attribute.
    emit(h.provider.getLogger('proto'), { body: 'proto', attributes: JSON.parse('{"__proto__": {"inherited": "leak"}, "own": 1}') as unknown });
    const [sdkRecord] = h.sdkRecords();
    const snapshot = await readSnapshot(await h.processor.snapshot());
    assert.equal(Object.keys(sdkRecord!.attributes), ['own']);
    assert.equal(snapshot.records[0]!.attributes, { own: 1 });
  } finally {
    h.cleanup();
  }
});

test('resource attributes with no place in AnyValue (functions, symbols) are kept as absent values', async () => {
  const h = harness(
    {},
    { resource: otel.resourceFromAttributes({ 'service.name': 'odd', callback: (() => 1) as never, marker: Symbol('m') as never, depth: 3 }) },
  );
  try {
    emit(h.provider.getLogger('odd'), { body: 'hello' });
    const snapshot = await readSnapshot(await h.processor.snapshot());
    assert.is(snapshot.metadata.resource['service.name'], 'odd');
    assert.is(snapshot.metadata.resource.depth, 3);
    // Written as CBOR undefined: the key stays, nothing of the function or symbol does.
    for (const key of ['callback', 'marker']) {
      assert.ok(!(key in snapshot.metadata.resource) || snapshot.metadata.resource[key] === undefined, key);
    }
    assert.equal(
      snapshot.records.map((record) => record.body),
      ['hello'],
    );
  } finally {
    h.cleanup();
  }
});

test("droppedAttributesCount from the provider's logRecordLimits is recorded", async () => {
  const h = harness({}, { logRecordLimits: { attributeCountLimit: 2 } });
  try {
    emit(h.provider.getLogger('limits'), { body: 'limited', attributes: { a: 1, b: 2, c: 3, d: 4, e: 5 } });
    emit(h.provider.getLogger('limits'), { body: 'within', attributes: { a: 1 } });
    const snapshot = await readSnapshot(await h.processor.snapshot());
    const [limited, within] = snapshot.records;
    assert.equal(limited!.attributes, { a: 1, b: 2 });
    assert.is(limited!.droppedAttributesCount, 3);
    assert.is(limited!.droppedAttributesCount, h.sdkRecords()[0]!.droppedAttributesCount);
    assert.is(within!.droppedAttributesCount, 0);
  } finally {
    h.cleanup();
  }
});

test('resource attributes are in the snapshot metadata once, not in the records', async () => {
  const h = harness();
  try {
    const logger = h.provider.getLogger('resource');
    for (let i = 0; i < 300; i++) emit(logger, { body: `record ${i}`, attributes: { i } });
    const path = await h.processor.snapshot();
    const snapshot = await readSnapshot(path);
    assert.equal(snapshot.metadata.resource, RESOURCE);
    assert.is(snapshot.metadata.service, 'spec');
    for (const record of snapshot.records) assert.not.ok('resource' in record);
    // Count the marker across the header and every decompressed chunk: it is stored exactly once.
    const raw = splitSnapshot(readFileSync(path));
    const marker = RESOURCE['service.instance.id'];
    const occurrences = [raw.header, ...raw.chunks.map((chunk) => chunk.raw)].reduce((sum, bytes) => sum + countOccurrences(bytes, marker), 0);
    assert.is(occurrences, 1);
  } finally {
    h.cleanup();
  }
});

function countOccurrences(bytes: Buffer, text: string): number {
  let count = 0;
  for (let at = bytes.indexOf(text); at >= 0; at = bytes.indexOf(text, at + 1)) count++;
  return count;
}

test('provider.forceFlush() writes a snapshot with reason "flush"', async () => {
  const h = harness();
  try {
    emit(h.provider.getLogger('flush'), { body: 'before flush' });
    await h.provider.forceFlush();
    const files = h.files();
    assert.is(files.length, 1);
    assert.match(files[0]!, /^ttlog-spec-\d+-\d{8}T\d{9}Z-\d+-flush\.bin$/);
    const snapshot = await readSnapshot(join(h.directory, files[0]!));
    assert.is(snapshot.metadata.reason, 'flush');
    assert.equal(
      snapshot.records.map((record) => record.body),
      ['before flush'],
    );
  } finally {
    h.cleanup();
  }
});

test('forceFlush() with nothing written since the last snapshot of the ring writes no file', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-'));
  const exporter = new SnapshotExporter({ directory, serviceName: 'spec' });
  const processor = new TTLogProcessor({ exporter, intervalMs: 40 });
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  const h = { directory, processor, provider, files: () => readdirSync(directory).sort() };
  const flushFiles = () => h.files().filter((name) => name.endsWith('-flush.bin'));
  try {
    for (let i = 0; i < 5; i++) await h.provider.forceFlush();
    assert.equal(h.files(), [], 'nothing logged yet: idle flushes write nothing');

    const logger = h.provider.getLogger('flush');
    for (let round = 0; round < 10; round++) {
      emit(logger, { body: `round ${round}` });
      await h.provider.forceFlush();
    }
    assert.is(flushFiles().length, 10, 'a flush after new records writes');
    for (let i = 0; i < 20; i++) await h.provider.forceFlush();
    assert.is(flushFiles().length, 10, 'twenty idle flushes write nothing');

    emit(logger, { body: 'before a manual snapshot' });
    await h.processor.snapshot();
    assert.is(h.files().filter((name) => name.endsWith('-manual.bin')).length, 1);
    await h.provider.forceFlush();
    await h.processor.forceFlush();
    assert.is(flushFiles().length, 10, 'a flush after a snapshot with nothing new writes nothing');

    // A trigger's snapshot counts too: a periodic snapshot after a record leaves the flush nothing to do.
    const periodicFiles = () => h.files().filter((name) => name.endsWith('-periodic.bin')).length;
    const periodicBefore = periodicFiles();
    emit(logger, { body: 'before the periodic snapshot' });
    while (periodicFiles() === periodicBefore) await new Promise((resolve) => setTimeout(resolve, 10));
    // The file is in place before its write resolves (retention runs after it): give that a moment.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await h.provider.forceFlush();
    assert.is(flushFiles().length, 10);

    // Records a worker writes through an attached processor are records of this ring.
    const attached = new otel.LoggerProvider({ processors: [TTLogProcessor.attach(h.processor.handle) as never] });
    attached.getLogger('worker').emit({ body: 'from an attached processor' } as never);
    await h.provider.forceFlush();
    const flushes = flushFiles();
    assert.is(flushes.length, 11);
    const last = await readSnapshot(join(h.directory, flushes.at(-1)!));
    assert.is(last.records.at(-1)!.body, 'from an attached processor');

    await exporter.forceFlush();
    assert.is(flushFiles().length, 12, 'exporter.forceFlush() always writes');
  } finally {
    await h.provider.shutdown();
    rmSync(directory, { recursive: true, force: true });
  }
});

test('a flush whose snapshot failed is not counted: the next flush writes', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-'));
  let failing = true;
  const fileSystem = {
    ...fs,
    promises: {
      ...fs.promises,
      open: (...args: Parameters<typeof fs.promises.open>) => (failing ? Promise.reject(new Error('disk full')) : fs.promises.open(...args)),
    },
  };
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory, serviceName: 'spec', fileSystem }) });
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  try {
    emit(provider.getLogger('flush'), { body: 'kept for the next flush' });
    await processor.forceFlush().then(
      () => assert.unreachable('the failed write rejects'),
      (error: Error) => assert.match(error.message, /disk full/),
    );
    failing = false;
    await processor.forceFlush();
    assert.is(readdirSync(directory).length, 1);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('shutdown writes one "shutdown" snapshot, is idempotent, and later records are ignored', async () => {
  const h = harness();
  try {
    const logger = h.provider.getLogger('shutdown');
    emit(logger, { body: 'last words' });
    await h.provider.shutdown();
    assert.equal(h.files().length, 1);
    const path = join(h.directory, h.files()[0]!);
    assert.match(path, /-shutdown\.bin$/);
    const snapshot = await readSnapshot(path);
    assert.is(snapshot.metadata.reason, 'shutdown');
    assert.equal(
      snapshot.records.map((record) => record.body),
      ['last words'],
    );

    await h.processor.shutdown();
    await h.processor.forceFlush();
    assert.is(h.files().length, 1, 'a second shutdown and a flush after it write nothing');
    const written = h.processor.stats().written;
    h.processor.onEmit(h.sdkRecords()[0] as never);
    assert.is(h.processor.stats().written, written, 'a record after shutdown is ignored');
  } finally {
    h.cleanup();
  }
});

test('a processor shut down on its own ignores records its provider still hands it', async () => {
  const h = harness();
  try {
    const logger = h.provider.getLogger('after');
    emit(logger, { body: 'kept' });
    const first = h.processor.shutdown();
    assert.is(h.processor.shutdown(), first, 'shutdown twice shares one promise');
    await first;
    emit(logger, { body: 'ignored' });
    assert.is(h.sdkRecords().length, 2, 'the provider still emitted the record');
    assert.is(h.processor.stats().written, 1);
    assert.is(h.files().length, 1);
    const snapshot = await readSnapshot(join(h.directory, h.files()[0]!));
    assert.equal(
      snapshot.records.map((record) => record.body),
      ['kept'],
    );
  } finally {
    h.cleanup();
  }
});

test('snapshot(reason) resolves to the path of the file it wrote', async () => {
  const h = harness();
  try {
    emit(h.provider.getLogger('manual'), { body: 'x' });
    const path = await h.processor.snapshot('deploy check');
    assert.is(dirname(path), h.directory);
    assert.match(basename(path), /^ttlog-spec-\d+-\d{8}T\d{9}Z-\d+-deploy_check\.bin$/);
    assert.equal(h.files(), [basename(path)]);
    const snapshot = await readSnapshot(path);
    assert.is(snapshot.metadata.reason, 'deploy check');
    assert.is(snapshot.metadata.pid, process.pid);
    const second = await h.processor.snapshot();
    assert.is.not(second, path, 'the next snapshot gets a new name');
    assert.match(second, /-manual\.bin$/);
    assert.is(h.files().length, 2);
  } finally {
    h.cleanup();
  }
});

test('concurrent snapshot() calls share one write', async () => {
  const h = harness();
  try {
    emit(h.provider.getLogger('concurrent'), { body: 'x' });
    const paths = await Promise.all([
      h.processor.snapshot('a'),
      h.processor.snapshot('b'),
      h.processor.forceFlush().then(() => 'flush'),
      h.processor.snapshot('c'),
    ]);
    assert.is(paths[0], paths[1]);
    assert.is(paths[0], paths[3]);
    assert.equal(h.files(), [basename(paths[0]!)]);
    assert.is((await readSnapshot(paths[0]!)).metadata.reason, 'a');
  } finally {
    h.cleanup();
  }
});

test('NodeSDK registration with logRecordProcessors works', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-'));
  try {
    const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory }) });
    const sdk = new otel.NodeSDK({
      resource: otel.resourceFromAttributes({ 'service.name': 'node-sdk-service' }),
      logRecordProcessors: [processor as never],
    });
    sdk.start();
    try {
      otel.logs.getLogger('node-sdk', '1.2.3').emit({ body: 'through the global logger', attributes: { via: 'NodeSDK' }, severityNumber: 9 });
    } finally {
      await sdk.shutdown();
      otel.logs.disable();
    }
    const files = readdirSync(directory);
    assert.is(files.length, 1);
    assert.match(files[0]!, /^ttlog-node_sdk_service-\d+-.*-shutdown\.bin$/);
    const snapshot = await readSnapshot(join(directory, files[0]!));
    assert.is(snapshot.metadata.service, 'node-sdk-service');
    assert.is(snapshot.metadata.resource['service.name'], 'node-sdk-service');
    assert.is(snapshot.records.length, 1);
    assert.is(snapshot.records[0]!.body, 'through the global logger');
    assert.equal(snapshot.records[0]!.attributes, { via: 'NodeSDK' });
    assert.equal(snapshot.records[0]!.scope, { name: 'node-sdk', version: '1.2.3' });
    assert.is(snapshot.records[0]!.severityNumber, 9);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('onEmit never throws: hostile bodies are trimmed or dropped, and counted', async () => {
  const h = harness();
  const warnings: unknown[][] = [];
  otel.diag.setLogger(
    { error: () => undefined, warn: (...args: unknown[]) => warnings.push(args), info: () => undefined, debug: () => undefined, verbose: () => undefined },
    otel.DiagLogLevel.WARN,
  );
  try {
    const logger = h.provider.getLogger('hostile');
    const throwingGetter = {
      ok: 1,
      get boom(): never {
        throw new Error('getter exploded');
      },
    };
    const throwingProxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('ownKeys exploded');
        },
      },
    );
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const huge = 'x'.repeat(1 << 20);
    const hostile: Array<[string, unknown]> = [
      ['getter', throwingGetter],
      ['proxy', throwingProxy],
      ['cyclic', cyclic],
      ['function', () => 'not a value'],
      ['symbol', Symbol('nope')],
      ['huge', huge],
    ];
    for (const [name, body] of hostile) emit(logger, { body, attributes: { name } });
    emit(logger, { body: 'after', attributes: { name: 'after' } });

    assert.equal(h.processor.stats().dropped, 2, 'the getter and the proxy cost their records');
    assert.equal(h.processor.stats().truncated, 4, 'cyclic, function, symbol and huge were trimmed');
    assert.is(warnings.filter((args) => String(args[0]).startsWith('ttlog:')).length, 1, 'the first failure is reported to diag once');

    const snapshot = await readSnapshot(await h.processor.snapshot());
    assertAccounting(snapshot);
    assert.equal(snapshot.metadata.counters, { written: 7, captured: 5, overwritten: 0, skipped: 2, truncated: 4, dropped: 2 });
    const records = byAttribute(snapshot, 'name');
    assert.equal([...records.keys()], ['cyclic', 'function', 'symbol', 'huge', 'after']);

    const loop = records.get('cyclic')!;
    assert.ok(loop.truncated);
    let depth = 0;
    for (let value = loop.body as Record<string, unknown> | undefined; value !== undefined; value = value.self as Record<string, unknown> | undefined) {
      assert.is(value.name, 'loop');
      depth++;
    }
    assert.ok(depth >= 2 && depth <= 9, `the cycle is cut after a bounded depth (got ${depth})`);

    assert.ok(records.get('function')!.truncated);
    assert.is(records.get('function')!.body, undefined);
    assert.ok(records.get('symbol')!.truncated);

    const cut = records.get('huge')!;
    assert.ok(cut.truncated);
    const text = cut.body as string;
    assert.ok(text.endsWith('…'), 'the cut string ends with the marker');
    assert.ok(text.length > 100 && Buffer.byteLength(text) <= h.processor.stats().maxRecordBytes);
    assert.is(text, 'x'.repeat(text.length - 1) + '…');

    assert.is(records.get('after')!.body, 'after');
    assert.is(records.get('after')!.truncated, false);
  } finally {
    otel.diag.disable();
    h.cleanup();
  }
});

test('capacity rounds up and capacityBytes rounds down to a power of two of slots', async () => {
  const slots = (options: TTLogProcessorOptions) => new TTLogProcessor({ exporter: new SnapshotExporter(), ...options }).stats();
  assert.equal({ capacity: slots({}).capacity, maxRecordBytes: slots({}).maxRecordBytes }, { capacity: 8192, maxRecordBytes: 1024 }, 'defaults');
  assert.is(slots({ capacity: 2 }).capacity, 2);
  assert.is(slots({ capacity: 100 }).capacity, 128);
  assert.is(slots({ capacity: 128 }).capacity, 128);
  assert.is(slots({ capacity: 129 }).capacity, 256);
  assert.is(slots({ capacityBytes: 1 << 20 }).capacity, 1024);
  assert.is(slots({ capacityBytes: 100_000 }).capacity, 64, '97 slots of 1024 bytes fit, rounded down to 64');
  assert.is(slots({ capacityBytes: 10_000, maxRecordBytes: 200 }).capacity, 32);
  assert.is(slots({ capacityBytes: 10_000, capacity: 4096 }).capacity, 8, 'capacityBytes wins over capacity');
  assert.is(slots({ maxRecordBytes: 130 }).maxRecordBytes, 136, 'slots are a multiple of 8 bytes');
  for (const bad of [{ capacity: 0 }, { capacity: 1.5 }, { capacity: -4 }, { capacityBytes: 10 }, { maxRecordBytes: 64 }, { internCapacity: -1 }]) {
    assert.throws(() => slots(bad), RangeError, JSON.stringify(bad));
  }

  // The ring really holds that many: a full ring snapshots exactly `capacity` records.
  const h = harness({ capacityBytes: 64 * 256, maxRecordBytes: 256 });
  try {
    assert.is(h.processor.stats().capacity, 64);
    const logger = h.provider.getLogger('capacity');
    for (let i = 0; i < 100; i++) emit(logger, { body: i });
    const snapshot = await readSnapshot(await h.processor.snapshot());
    assert.is(snapshot.records.length, 64);
    assert.equal(
      snapshot.records.map((record) => record.body),
      Array.from({ length: 64 }, (_, i) => 36 + i),
    );
    const { recorderThread: _thread, ...ringStats } = h.processor.stats();
    assert.equal(ringStats, { capacity: 64, reserveCapacity: 64, maxRecordBytes: 256, written: 100, overwritten: 36, truncated: 0, dropped: 0 });
  } finally {
    h.cleanup();
  }
});

test('attach() rejects handles that do not carry a compatible ttlog ring', () => {
  const h = harness();
  try {
    const real = h.processor.handle.buffer as SharedArrayBuffer;
    /** A copy of the real ring with word `index` of the header replaced by `value` (or left as is). */
    const copy = (index?: number, value?: number) => {
      const buffer = new SharedArrayBuffer(real.byteLength);
      new Uint8Array(buffer).set(new Uint8Array(real));
      if (index !== undefined) new Int32Array(buffer)[index] = value!;
      return { ttlogRing: 1, buffer } as typeof h.processor.handle;
    };
    // The untouched copy attaches: the failures below come from the one field each changes.
    const attached = TTLogProcessor.attach(copy());
    assert.is(attached.stats().capacity, h.processor.stats().capacity);
    const notARing = /must carry the SharedArrayBuffer/;
    const incompatible = /not a ttlog ring of a compatible version/;
    const cases: Array<[string, unknown, RegExp]> = [
      ['no handle', undefined, notARing],
      ['a plain ArrayBuffer', { ttlogRing: 1, buffer: new ArrayBuffer(real.byteLength) }, notARing],
      ['a SharedArrayBuffer shorter than the header', { ttlogRing: 1, buffer: new SharedArrayBuffer(8) }, notARing],
      ['a zeroed SharedArrayBuffer', { ttlogRing: 1, buffer: new SharedArrayBuffer(real.byteLength) }, incompatible],
      ['another magic number', copy(0, 0x12345678), incompatible],
      ['an earlier layout version (no ring identity)', copy(1, 2), incompatible],
      ['a later layout version', copy(1, 4), incompatible],
    ];
    for (const [name, handle, message] of cases) {
      try {
        TTLogProcessor.attach(handle as never);
        assert.unreachable(`${name} was attached`);
      } catch (error) {
        assert.instance(error, TypeError, name);
        assert.match((error as Error).message, message, name);
      }
    }
  } finally {
    h.cleanup();
  }
});

/** Emits `count` records one microsecond apart from `start` µs, so lanes merge in a known order. */
function emitAt(logger: EmitsLogs, start: number, severityNumber: number, severityText: string, count: number): void {
  for (let i = 0; i < count; i++) {
    const micros = start + i;
    emit(logger, { timestamp: [1_790_000_000 + Math.floor(micros / 1e6), (micros % 1e6) * 1000], severityNumber, severityText, body: `${severityText} ${i}` });
  }
}

test('severity lane: after a flood of 10x capacity DEBUG records, the earlier warnings and errors are all in the snapshot', async () => {
  const h = harness({ capacity: 64, maxRecordBytes: 256 });
  try {
    assert.is(h.processor.stats().reserveCapacity, 64, 'an eighth of the main lane, at least 64');
    const logger = h.provider.getLogger('lanes');
    emitAt(logger, 0, 17, 'ERROR', 10);
    emitAt(logger, 100, 13, 'WARN', 5);
    emitAt(logger, 1000, 5, 'DEBUG', 640);
    const snapshot = await readSnapshot(await h.processor.snapshot());
    const severe = snapshot.records.filter((record) => record.severityNumber >= 13);
    assert.equal(
      severe.map((record) => record.body),
      [...Array.from({ length: 10 }, (_, i) => `ERROR ${i}`), ...Array.from({ length: 5 }, (_, i) => `WARN ${i}`)],
    );
    assert.ok(severe.every((record) => record.lane === 1));
    const debug = snapshot.records.filter((record) => record.severityNumber < 13);
    assert.equal(
      debug.map((record) => record.body),
      Array.from({ length: 64 }, (_, i) => `DEBUG ${576 + i}`),
    );
    assert.ok(debug.every((record) => record.lane === undefined));
    assert.equal(snapshot.records.slice(0, 15), severe, 'the lanes are merged by time');

    const [main, reserve] = snapshot.metadata.lanes;
    assert.equal(main, { minSeverity: 0, written: 640, captured: 64, overwritten: 576, skipped: 0, truncated: 0, dropped: 0 });
    assert.equal(reserve, { minSeverity: 13, written: 15, captured: 15, overwritten: 0, skipped: 0, truncated: 0, dropped: 0 });
    assert.equal(snapshot.metadata.counters, { written: 655, captured: 79, overwritten: 576, skipped: 0, truncated: 0, dropped: 0 });
  } finally {
    h.cleanup();
  }
});

test('severity lane: a custom threshold and capacity keep accounting exact per lane; false turns it off', async () => {
  const custom = harness({ capacity: 16, maxRecordBytes: 256, severityLane: { minSeverity: 17, capacity: 3 } });
  try {
    assert.is(custom.processor.stats().reserveCapacity, 4, 'rounded up to a power of two');
    const logger = custom.provider.getLogger('lanes');
    emitAt(logger, 0, 17, 'ERROR', 6);
    emitAt(logger, 100, 13, 'WARN', 20);
    const snapshot = await readSnapshot(await custom.processor.snapshot());
    assert.equal(
      snapshot.records.filter((record) => record.lane === 1).map((record) => record.body),
      ['ERROR 2', 'ERROR 3', 'ERROR 4', 'ERROR 5'],
    );
    assert.equal(
      snapshot.records.filter((record) => record.lane === undefined).map((record) => record.body),
      Array.from({ length: 16 }, (_, i) => `WARN ${4 + i}`),
    );
    for (const lane of snapshot.metadata.lanes) assert.is(lane.written, lane.captured + lane.overwritten + lane.skipped);
    assert.equal(
      snapshot.metadata.lanes.map((lane) => [lane.minSeverity, lane.written, lane.overwritten]),
      [
        [0, 20, 4],
        [17, 6, 2],
      ],
    );
    const { recorderThread: _thread, ...ringStats } = custom.processor.stats();
    assert.equal(ringStats, { capacity: 16, reserveCapacity: 4, maxRecordBytes: 256, written: 26, overwritten: 6, truncated: 0, dropped: 0 });
  } finally {
    custom.cleanup();
  }

  const off = harness({ capacity: 16, maxRecordBytes: 256, severityLane: false });
  try {
    assert.is(off.processor.stats().reserveCapacity, 0);
    const logger = off.provider.getLogger('lanes');
    emitAt(logger, 0, 17, 'ERROR', 2);
    emitAt(logger, 100, 5, 'DEBUG', 20);
    const snapshot = await readSnapshot(await off.processor.snapshot());
    assert.not.ok(
      snapshot.records.some((record) => record.severityNumber === 17),
      'without a reserve the flood pushes the errors out',
    );
    assert.is(snapshot.metadata.lanes.length, 1);
    assert.equal(snapshot.metadata.lanes[0], { ...snapshot.metadata.counters, minSeverity: 0 });
  } finally {
    off.cleanup();
  }
  assert.throws(() => new TTLogProcessor({ severityLane: { minSeverity: 0 } }), RangeError);
});

test('-0 keeps its sign in bodies, nested values, attributes, scope attributes and the resource; 0 stays 0', async () => {
  const h = harness({}, { resource: otel.resourceFromAttributes({ ...RESOURCE, 'zero.negative': -0, 'zero.positive': 0 }) });
  try {
    const logger = h.provider.getLogger('zeros', '1.0.0', { attributes: { 'scope.zero': -0, 'scope.list': [0, -0] } });
    emit(logger, { body: -0, attributes: { n: 1, zero: -0, positive: 0, list: [0, -0, -1] } });
    emit(logger, { body: { nested: [-0, { deeper: -0 }] }, attributes: { n: 2 } });
    emit(logger, { body: 0, attributes: { n: 3 } });
    const snapshot = await readSnapshot(await h.processor.snapshot());
    const records = byAttribute(snapshot, 'n');
    const first = records.get(1)!;
    // Deep equality treats 0 and -0 alike: each sign is checked with Object.is.
    assert.ok(Object.is(first.body, -0), 'a -0 body');
    assert.ok(Object.is(first.attributes.zero, -0), 'a -0 attribute');
    assert.ok(Object.is(first.attributes.positive, 0), 'a 0 attribute');
    assert.equal(
      (first.attributes.list as number[]).map((value) => Object.is(value, -0)),
      [false, true, false],
    );
    const nested = (records.get(2)!.body as { nested: [number, { deeper: number }] }).nested;
    assert.ok(Object.is(nested[0], -0) && Object.is(nested[1].deeper, -0), 'a -0 in an array and in a map');
    assert.ok(Object.is(records.get(3)!.body, 0), 'a 0 body');
    assert.ok(Object.is(snapshot.metadata.resource['zero.negative'], -0), 'a -0 resource attribute');
    assert.ok(Object.is(snapshot.metadata.resource['zero.positive'], 0), 'a 0 resource attribute');
    const scope = first.scope.attributes ?? {};
    assert.ok(Object.is(scope['scope.zero'], -0), 'a -0 scope attribute');
    assert.equal(
      (scope['scope.list'] as number[]).map((value) => Object.is(value, -0)),
      [false, true],
    );
    assert.is(h.processor.stats().truncated, 0);
  } finally {
    h.cleanup();
  }
});

test('a resource bigint beyond the bignum limit is written as a short text; one within it exactly', async () => {
  const huge = 2n ** 2_000_000n + 1n;
  const h = harness();
  try {
    // The 3.x SDK may drop bigint resource attributes: the record comes as the SDK would hand it.
    h.processor.onEmit(recordWithResource('one', { ...RESOURCE, 'big.huge': huge, 'big.negative': -huge, 'big.kept': 2n ** 8192n - 1n }) as never);
    const { resource } = (await readSnapshot(await h.processor.snapshot())).metadata;
    assert.is(resource['big.huge'], '0x1000000000000000…0000000000000001 (2000001-bit bigint)');
    assert.is(resource['big.negative'], '-0x1000000000000000…0000000000000001 (2000001-bit bigint)');
    assert.is(resource['big.kept'], 2n ** 8192n - 1n);
  } finally {
    h.cleanup();
  }
});

test.run();
