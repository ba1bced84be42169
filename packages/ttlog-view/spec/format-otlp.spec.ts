import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { JsonLogsSerializer } from '@opentelemetry/otlp-transformer';
import { type AnyValue, readSnapshot, type SnapshotRecord, type SnapshotScope } from 'ttlog';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { seededRandom } from '../../../spec/support/seeded-random.ts';
import { OTLP_BATCH_RECORDS, OTLP_MAX_LINE_BYTES, OtlpEncoder } from '../src/format-otlp.ts';
import { openSources, type SnapshotSource, type ViewRecord } from '../src/sources.ts';
import { at, CART, CHECKOUT, runViewInProcess, TRACE_ORDER, writeServiceSnapshot } from './support/snapshots.ts';

const directory = mkdtempSync(join(tmpdir(), 'ttlog-'));
const shop = join(directory, 'shop');
mkdirSync(shop);
const checkoutFile = await writeServiceSnapshot(shop, CHECKOUT);
const cartFile = await writeServiceSnapshot(shop, CART);

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
  bytesValue?: string;
  arrayValue?: { values: OtlpValue[] };
  kvlistValue?: { values: Array<{ key: string; value: OtlpValue }> };
}
interface OtlpRecord {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber?: number;
  severityText?: string;
  body?: OtlpValue;
  attributes: Array<{ key: string; value: OtlpValue }>;
  droppedAttributesCount: number;
  eventName?: string;
  traceId?: string;
  spanId?: string;
  flags?: number;
}
interface Request {
  resourceLogs: Array<{
    resource: { attributes: Array<{ key: string; value: OtlpValue }> };
    scopeLogs: Array<{ scope: { name: string; version?: string }; logRecords: OtlpRecord[] }>;
  }>;
}

/** All of `records` in one request line, whatever its size. */
function oneRequestLine(records: readonly ViewRecord[]): string {
  const encoder = new OtlpEncoder({ records: Number.POSITIVE_INFINITY, bytes: Number.POSITIVE_INFINITY });
  for (const item of records) assert.is(encoder.add(item), undefined);
  return encoder.end()!;
}

/** OTLP JSON AnyValue → the value it encodes (int64 strings back to numbers where the test data has numbers). */
function decodeValue(value: OtlpValue): AnyValue {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue !== undefined) return value.arrayValue.values.map(decodeValue);
  if (value.kvlistValue !== undefined) return decodeAttributes(value.kvlistValue.values);
  throw new Error(`unexpected OTLP value ${JSON.stringify(value)}`);
}

function decodeAttributes(list: Array<{ key: string; value: OtlpValue }>): Record<string, AnyValue> {
  return Object.fromEntries(list.map(({ key, value }) => [key, decodeValue(value)]));
}

test('--otlp writes ExportLogsServiceRequest lines that carry every field of every record', async () => {
  const result = await runViewInProcess(['--otlp', shop]);
  assert.is(result.code, 0);
  assert.is(result.stderr, '');
  const lines = result.stdout.trim().split('\n');
  assert.is(lines.length, 1, 'ten records fit in one request');
  const request = JSON.parse(lines[0]!) as Request;

  const expected = new Map<string, { service: string; record: SnapshotRecord }>();
  for (const [file, service] of [
    [checkoutFile, 'checkout'],
    [cartFile, 'cart'],
  ] as const) {
    for (const record of (await readSnapshot(file)).records) expected.set(String(record.timestamp), { service, record });
  }
  let seen = 0;
  for (const resourceLogs of request.resourceLogs) {
    const resource = decodeAttributes(resourceLogs.resource.attributes);
    for (const scopeLogs of resourceLogs.scopeLogs) {
      for (const otlp of scopeLogs.logRecords) {
        seen++;
        const entry = expected.get(otlp.timeUnixNano);
        assert.ok(entry, `a record at ${otlp.timeUnixNano}`);
        const { service, record } = entry!;
        assert.is(resource['service.name'], service);
        if (service === 'checkout') {
          assert.is(resource['deployment.environment'], 'prod');
          assert.is(resource['host.cores'], 4);
        }
        assert.is(scopeLogs.scope.name, record.scope.name);
        assert.is(scopeLogs.scope.version, record.scope.version);
        assert.is(otlp.observedTimeUnixNano, String(record.observedTimestamp));
        assert.is(otlp.severityNumber, record.severityNumber);
        assert.is(otlp.severityText, record.severityText);
        assert.equal(decodeValue(otlp.body!), record.body);
        assert.equal(decodeAttributes(otlp.attributes), record.attributes);
        assert.is(otlp.eventName, record.eventName);
        assert.is(otlp.droppedAttributesCount, 0);
        assert.is(otlp.traceId, record.traceId);
        assert.is(otlp.spanId, record.spanId);
        assert.is(otlp.flags, record.traceFlags);
      }
    }
  }
  assert.is(seen, CHECKOUT.records.length + CART.records.length);
  // Spot checks against the emitted data itself, not only against the reader.
  const failed = expected.get(String(at(3000, 456_789)))!.record;
  assert.is(failed.traceId, TRACE_ORDER.traceId);
  assert.ok(result.stdout.includes(`"timeUnixNano":"${at(3000, 456_789)}"`));
  assert.ok(result.stdout.includes('{"key":"latency.ms","value":{"doubleValue":812.5}}'));
  assert.ok(result.stdout.includes('"eventName":"cart.update"'));
});

test('--otlp splits large inputs into requests and follows the filters', async () => {
  const many = join(directory, 'many');
  mkdirSync(many);
  const count = OTLP_BATCH_RECORDS * 2 + 7;
  await writeServiceSnapshot(many, {
    service: 'clock',
    capacity: 2048,
    records: Array.from({ length: count }, (_, i) => ({ at: at(i), severityNumber: i % 100 === 0 ? 17 : 9, body: `tick ${i}` })),
  });
  const lines = (await runViewInProcess(['--otlp', many])).stdout.trim().split('\n');
  assert.is(lines.length, 3);
  const times = lines.flatMap((line) =>
    (JSON.parse(line) as Request).resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((l) => BigInt(l.timeUnixNano)))),
  );
  assert.equal(
    times,
    Array.from({ length: count }, (_, i) => at(i)),
  );
  const errors = (await runViewInProcess(['--otlp', '--level', 'error', many])).stdout.trim().split('\n');
  assert.is(errors.length, 1);
  assert.is((JSON.parse(errors[0]!) as Request).resourceLogs[0]!.scopeLogs[0]!.logRecords.length, 11);
});

/** The UTF-8 bytes of each line of `stdout` with its line break: what the receiver's line buffer must hold. */
function lineBytes(stdout: string): number[] {
  assert.ok(stdout.endsWith('\n'), 'the last line ends in a line break');
  return stdout
    .slice(0, -1)
    .split('\n')
    .map((line) => Buffer.byteLength(line) + 1);
}

function logRecordsOf(line: string): OtlpRecord[] {
  return (JSON.parse(line) as Request).resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords));
}

test('large snapshots are split by size: every line at most 1 MiB, each a whole request, every record once and in order', async () => {
  const large = join(directory, 'large');
  mkdirSync(large);
  const random = seededRandom(7);
  // Bodies of 1-6 KB: 512 of them are several MiB, so lines end on size before they reach 512
  // records. Quotes and control characters grow when escaped, an é is two bytes, a C1 control
  // becomes a \u escape: the line's size is its bytes as written, not its characters.
  const pieces = ['x', 'é', '"', '\n', '\u0085', '漢'];
  const bodies = Array.from({ length: 3000 }, (_, i) => {
    let body = `record ${i} `;
    const length = 1000 + Math.floor(random() * 5000);
    while (body.length < length) body += random() < 0.9 ? 'x' : pieces[Math.floor(random() * pieces.length)]!;
    return body;
  });
  await writeServiceSnapshot(large, {
    service: 'bulk',
    capacity: 4096,
    maxRecordBytes: 8192,
    records: bodies.map((body, i) => ({ at: at(i), severityNumber: 9, body, attributes: { i } })),
  });
  const result = await runViewInProcess(['--otlp', large]);
  assert.is(result.code, 0, result.stderr);
  assert.is(result.stderr, '');
  const sizes = lineBytes(result.stdout);
  assert.ok(sizes.length > Math.ceil(bodies.length / OTLP_BATCH_RECORDS), `${sizes.length} lines: split by size, not only by count`);
  for (const size of sizes) assert.ok(size <= OTLP_MAX_LINE_BYTES, `a line of ${size} bytes`);
  // Lines are filled: a line ends only when the next record would not fit (a record is < 64 KiB here).
  for (const size of sizes.slice(0, -1)) assert.ok(size > OTLP_MAX_LINE_BYTES - 64 * 1024, `a line of only ${size} bytes`);
  const records = result.stdout.trim().split('\n').flatMap(logRecordsOf);
  assert.equal(
    records.map((record) => record.body!.stringValue),
    bodies,
  );
  assert.equal(
    records.map((record) => BigInt(record.timeUnixNano)),
    bodies.map((_, i) => at(i)),
  );
});

test('a record larger than a line of its own: its body is cut to fit and marked, the rest of it kept, and stderr counts it', async () => {
  const huge = join(directory, 'huge');
  mkdirSync(huge);
  // 900,000 quotes: 1.8 MB once escaped, in a 1 MiB slot.
  const body = '"'.repeat(900_000);
  await writeServiceSnapshot(huge, {
    service: 'huge',
    capacity: 4,
    maxRecordBytes: 1024 * 1024,
    records: [
      { at: at(0), severityNumber: 9, body: 'before' },
      { at: at(1), severityNumber: 17, body, attributes: { 'error.type': 'Huge' }, trace: TRACE_ORDER },
      { at: at(2), severityNumber: 9, body: 'after' },
    ],
  });
  const result = await runViewInProcess(['--otlp', huge]);
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stderr, /^ttlog-view: 1 record larger than one OTLP line \(1 MiB\): body cut to fit/);
  for (const size of lineBytes(result.stdout)) assert.ok(size <= OTLP_MAX_LINE_BYTES, `a line of ${size} bytes`);
  const records = result.stdout.trim().split('\n').flatMap(logRecordsOf);
  assert.equal(
    records.map((record) => record.timeUnixNano),
    [at(0), at(1), at(2)].map(String),
  );
  const cut = records[1]!;
  const text = cut.body!.stringValue!;
  assert.match(text, /^"+… \[cut by ttlog-view from 900000 bytes to fit one OTLP line\]$/);
  assert.ok(text.length > 500_000, `${text.length} characters kept: as many as fit`);
  assert.equal(decodeAttributes(cut.attributes), { 'error.type': 'Huge' });
  assert.is(cut.traceId, TRACE_ORDER.traceId);
  assert.is(cut.severityNumber, 17);
  assert.is(records[2]!.body!.stringValue, 'after');
});

test('a cut keeps surrogate pairs whole, and drops the attributes (counted) when even an empty body does not fit', async () => {
  const [source] = await openSources([cartFile], (message) => assert.unreachable(message));
  const record = (await readSnapshot(cartFile)).records[0]!;
  await source!.reader.close();
  const limit = 2000;
  const encoder = new OtlpEncoder({ bytes: limit });
  const emoji = { source: source!, record: { ...record, body: 'a😀'.repeat(800), attributes: { small: 1 } } };
  const crowded = {
    source: source!,
    record: { ...record, body: { big: 'y'.repeat(5000) }, attributes: { a: 'z'.repeat(3000), b: 2 }, droppedAttributesCount: 1 },
  };
  const lines = [encoder.add(emoji), encoder.add(crowded), encoder.end()].filter((line) => line !== undefined);
  assert.is(lines.length, 2);
  assert.is(encoder.cutRecords, 2);
  assert.is(encoder.oversizedLines, 0);
  for (const line of lines) assert.ok(Buffer.byteLength(line) + 1 <= limit, `${Buffer.byteLength(line)} bytes`);
  const [first, second] = lines.map((line) => logRecordsOf(line)[0]!) as [OtlpRecord, OtlpRecord];
  const kept = first.body!.stringValue!.replace(/… \[cut by ttlog-view from 4000 bytes to fit one OTLP line\]$/, '');
  assert.ok(kept.length > 600 && kept.length < 1600, `${kept.length} code units kept`);
  assert.ok(/^(a😀)*a?$/u.test(kept), 'only whole emoji');
  assert.equal(decodeAttributes(first.attributes), { small: 1 });
  // A body that is not a string is cut as its one-line text.
  assert.match(second.body!.stringValue!, /^\{"big":"y+… \[cut by ttlog-view from 5010 bytes to fit one OTLP line\]$/);
  assert.equal(second.attributes, []);
  assert.is(second.droppedAttributesCount, 3);
});

test('64-bit integers (bigint values read from a snapshot) become OTLP intValue strings, exactly', async () => {
  const [source] = await openSources([cartFile], (message) => assert.unreachable(message));
  const record = (await readSnapshot(cartFile)).records[0]!;
  const big = 2n ** 63n - 1n;
  const line = oneRequestLine([{ source: source!, record: { ...record, attributes: { big, list: [big, 1] }, body: -big } }]);
  await source!.reader.close();
  const otlp = (JSON.parse(line) as Request).resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
  assert.equal(otlp.attributes, [
    { key: 'big', value: { intValue: '9223372036854775807' } },
    { key: 'list', value: { arrayValue: { values: [{ intValue: '9223372036854775807' }, { intValue: 1 }] } } },
  ]);
  assert.equal(otlp.body, { intValue: '-9223372036854775807' });
});

test('absent fields carry no value, scope details are carried, and the service name fills a resource without one', async () => {
  const [source] = await openSources([cartFile], (message) => assert.unreachable(message));
  const record = (await readSnapshot(cartFile)).records[0]!;
  await source!.reader.close();
  // A snapshot whose resource did not say its service: the metadata's service name stands in.
  const bare = { ...source!, metadata: { ...source!.metadata, resource: { 'host.name': 'box' } } };
  const { severityText: _text, body: _body, traceFlags: _flags, ...rest } = record;
  const scope = { name: 'db', version: '2.0.0', schemaUrl: 'https://opentelemetry.io/schemas/1.26.0', attributes: { pool: 'main', size: 4 } };
  const line = oneRequestLine([
    { source: bare, record: { ...rest, severityNumber: 0, traceId: TRACE_ORDER.traceId, spanId: TRACE_ORDER.spanId, scope } },
    { source: source!, record: { ...record, scope: { name: 'plain' } } },
  ]);
  const request = JSON.parse(line) as Request & {
    resourceLogs: Array<{ scopeLogs: Array<{ scope: { schemaUrl?: string; attributes?: Array<{ key: string; value: OtlpValue }> }; schemaUrl?: string }> }>;
  };
  assert.is(request.resourceLogs.length, 2);
  const [first, second] = request.resourceLogs as [(typeof request.resourceLogs)[0], (typeof request.resourceLogs)[0]];
  // The snapshot's ring and file name lead, so that two snapshots' outputs differ in their first bytes.
  assert.equal(decodeAttributes(first.resource.attributes), {
    'ttlog.snapshot.ring': source!.metadata.ring!,
    'ttlog.snapshot.file': basename(cartFile),
    'host.name': 'box',
    'service.name': 'cart',
  });
  assert.equal(
    first.resource.attributes.slice(0, 2).map(({ key }) => key),
    ['ttlog.snapshot.ring', 'ttlog.snapshot.file'],
  );
  assert.is(decodeAttributes(second.resource.attributes)['service.name'], 'cart');
  const scopeLogs = first.scopeLogs[0]!;
  assert.is(scopeLogs.scope.name, 'db');
  assert.is(scopeLogs.scope.version, '2.0.0');
  assert.is(scopeLogs.schemaUrl, scope.schemaUrl);
  assert.equal(decodeAttributes(scopeLogs.scope.attributes!), scope.attributes);
  const otlp = scopeLogs.logRecords[0]! as OtlpRecord & Record<string, unknown>;
  // The transformer writes an absent body as an empty AnyValue (or leaves it out): no value at all.
  assert.ok(otlp.body === undefined || Object.keys(otlp.body).length === 0, JSON.stringify(otlp.body));
  assert.is(otlp.severityText, undefined);
  assert.ok(otlp.severityNumber === undefined || otlp.severityNumber === 0, `severityNumber ${otlp.severityNumber}`);
  assert.is(otlp.traceId, TRACE_ORDER.traceId);
  assert.is(otlp.spanId, TRACE_ORDER.spanId);
  assert.ok(!otlp.flags, 'trace flags default to 0');
  const plain = second.scopeLogs[0]!;
  assert.equal(plain.scope.name, 'plain');
  assert.is((plain.scope as { version?: string }).version, undefined);
  assert.ok(plain.scope.attributes === undefined || plain.scope.attributes.length === 0);
  assert.is(plain.logRecords[0]!.body!.stringValue, 'cart opened');
});

/**
 * The same request through OpenTelemetry's own `JsonLogsSerializer`, from the records adapted
 * to the SDK's `ReadableLogRecord` shape, with resource and scope objects shared per file and
 * scope, as the SDK shares them. The serializer writes a bigint as an empty value, so a bigint
 * goes in as a marked string whose `stringValue` becomes the `intValue` string OTLP JSON uses.
 */
function serializedByOpenTelemetry(batch: readonly ViewRecord[]): string {
  const mark = '\u0000int64:';
  const value = (item: AnyValue): unknown => {
    if (typeof item === 'bigint') return `${mark}${item}`;
    if (Array.isArray(item)) return item.map(value);
    if (item !== null && typeof item === 'object' && !(item instanceof Uint8Array)) return attributes(item);
    return item;
  };
  const attributes = (object: Record<string, AnyValue>) => Object.fromEntries(Object.keys(object).map((key) => [key, value(object[key])]));
  const hrTime = (nanos: bigint) => [Number(nanos / 1_000_000_000n), Number(nanos % 1_000_000_000n)];
  const resources = new Map<SnapshotSource, object>();
  const scopes = new Map<string, object>();
  const shared = (source: SnapshotSource, scope: SnapshotScope) => {
    if (!resources.has(source)) {
      const resource: Record<string, AnyValue> = {
        'ttlog.snapshot.ring': source.metadata.ring!,
        'ttlog.snapshot.file': basename(source.path),
        ...source.metadata.resource,
      };
      if (resource['service.name'] === undefined) resource['service.name'] = source.metadata.service;
      resources.set(source, { attributes: attributes(resource) });
    }
    const key = `${source.index} ${JSON.stringify(scope, (_, item: unknown) => (typeof item === 'bigint' ? `${item}n` : item))}`;
    if (!scopes.has(key)) scopes.set(key, { ...scope, ...(scope.attributes === undefined ? {} : { attributes: attributes(scope.attributes) }) });
    return { resource: resources.get(source), instrumentationScope: scopes.get(key) };
  };
  const logRecords = batch.map(({ record, source }) => ({
    hrTime: hrTime(record.timestamp),
    hrTimeObserved: hrTime(record.observedTimestamp),
    ...(record.traceId !== undefined && record.spanId !== undefined
      ? { spanContext: { traceId: record.traceId, spanId: record.spanId, traceFlags: record.traceFlags ?? 0 } }
      : {}),
    severityText: record.severityText,
    severityNumber: record.severityNumber === 0 ? undefined : record.severityNumber,
    body: record.body === undefined ? undefined : value(record.body),
    eventName: record.eventName,
    ...shared(source, record.scope),
    attributes: attributes(record.attributes),
    droppedAttributesCount: record.droppedAttributesCount,
  }));
  const bytes = JsonLogsSerializer.serializeRequest(logRecords as never);
  return new TextDecoder().decode(bytes).replace(/\{"stringValue":"\\u0000int64:(-?\d+)"\}/g, '{"intValue":"$1"}');
}

function withoutTraceFlags({ traceFlags: _flags, ...rest }: SnapshotRecord): SnapshotRecord {
  return rest;
}

test("the request lines are byte for byte what OpenTelemetry's JsonLogsSerializer writes for the same records", async () => {
  const sources = await openSources([checkoutFile, cartFile], (message) => assert.unreachable(message));
  const batch: ViewRecord[] = [];
  for (const source of sources) for await (const record of source.reader.records()) batch.push({ source, record });
  assert.ok(batch.length > 0);
  const [first, second] = [batch[0]!, batch[batch.length - 1]!];
  const odd: ViewRecord[] = [
    {
      source: first.source,
      record: {
        ...first.record,
        body: { nested: [1, -2, 0.5, Number.NaN, true, null, new Uint8Array([0, 255]), 2n ** 63n - 1n], '': 'empty key' },
        attributes: { big: -(2n ** 40n), none: null, list: [] },
      },
    },
    {
      source: first.source,
      record: {
        ...first.record,
        severityNumber: 0,
        scope: { name: 'db', version: '2.0.0', schemaUrl: 'https://opentelemetry.io/schemas/1.26.0', attributes: { pool: 'main', size: 4 } },
      },
    },
    {
      source: second.source,
      record: { ...withoutTraceFlags(second.record), scope: { name: 'db', attributes: {} }, traceId: TRACE_ORDER.traceId, spanId: TRACE_ORDER.spanId },
    },
    { source: { ...second.source, metadata: { ...second.source.metadata, resource: { 'host.name': 'box' } } }, record: second.record },
  ];
  for (const records of [batch, odd, [...odd, ...batch, ...odd]]) {
    assert.is(oneRequestLine(records), serializedByOpenTelemetry(records));
  }
  for (const source of sources) await source.reader.close();
});

test.after(() => rmSync(directory, { recursive: true, force: true }));

test.run();
