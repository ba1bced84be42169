/**
 * The committed v1 fixture (spec/fixtures/v1-basic.bin, written once by make-v1-fixture.ts) must
 * read back to exactly these records with every later version of the reader. The expected values
 * are written out here on purpose: they are what the v1 writer put in the file, not what the
 * current writer would produce.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { iterateSnapshot, readSnapshot, type SnapshotRecord } from '../../src/index.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/v1-basic.bin', import.meta.url));

const HTTP_SCOPE = {
  name: 'http-server',
  version: '4.5.6',
  schemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
  attributes: { 'scope.kind': 'server', 'scope.shard': 3 },
};
const JOBS_SCOPE = { name: 'jobs' };
const SAMPLED = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };
const UNSAMPLED = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 0 };
const PLAIN = { droppedAttributesCount: 0, producer: 0, truncated: false };

/** A jobs record at 2026-01-01T00:00:00.0{ms}Z observed at the same instant. */
function jobsAt(ms: number): { timestamp: bigint; observedTimestamp: bigint; scope: typeof JOBS_SCOPE } {
  const time = 1_767_225_600_000_000_000n + BigInt(ms) * 1_000_000n;
  return { timestamp: time, observedTimestamp: time, scope: JOBS_SCOPE };
}

const EXPECTED: SnapshotRecord[] = [
  {
    seq: 0,
    timestamp: 1767225600000000000n,
    observedTimestamp: 1767225600000000500n,
    severityNumber: 9,
    severityText: 'INFO',
    body: 'server started',
    attributes: { 'http.port': 8080, tls: false },
    scope: HTTP_SCOPE,
    ...PLAIN,
  },
  {
    seq: 1,
    timestamp: 1767225600001123456n,
    observedTimestamp: 1767225600003000000n,
    severityNumber: 9,
    severityText: 'INFO',
    body: 'GET /orders',
    attributes: { 'http.method': 'GET', 'http.status_code': 200, 'duration.ms': 12.75 },
    scope: HTTP_SCOPE,
    ...SAMPLED,
    ...PLAIN,
  },
  {
    seq: 2,
    timestamp: 1767225600002000000n,
    observedTimestamp: 1767225600001000000n,
    severityNumber: 13,
    severityText: 'WARN',
    body: 'slow request',
    attributes: { 'http.method': 'GET', 'http.status_code': 200, 'duration.ms': 2500.5 },
    scope: HTTP_SCOPE,
    ...UNSAMPLED,
    ...PLAIN,
  },
  {
    seq: 3,
    timestamp: 1767225600003000000n,
    observedTimestamp: 1767225600003000000n,
    severityNumber: 17,
    severityText: 'ERROR',
    body: { message: 'upstream failed', code: 502, retry: true, upstream: { host: 'inventory', port: 9090, tags: ['a', 'b'] } },
    attributes: {},
    scope: HTTP_SCOPE,
    ...PLAIN,
  },
  { seq: 4, ...jobsAt(10), severityNumber: 5, severityText: 'DEBUG', body: 42, attributes: {}, ...PLAIN },
  { seq: 5, ...jobsAt(11), severityNumber: 5, body: -3.25, attributes: {}, ...PLAIN },
  { seq: 6, ...jobsAt(12), severityNumber: 0, body: true, attributes: {}, ...PLAIN },
  { seq: 7, ...jobsAt(13), severityNumber: 0, body: null, attributes: {}, ...PLAIN },
  { seq: 8, ...jobsAt(14), severityNumber: 1, severityText: 'TRACE', attributes: {}, ...PLAIN },
  {
    seq: 9,
    ...jobsAt(15),
    severityNumber: 9,
    body: new Uint8Array([0, 1, 2, 253, 254, 255]),
    attributes: { 'payload.bytes': new Uint8Array([222, 173, 190, 239]) },
    ...PLAIN,
  },
  { seq: 10, ...jobsAt(16), severityNumber: 9, body: [1, 'two', false, null, [3.5, 'four'], { five: 5 }], attributes: {}, ...PLAIN },
  {
    seq: 11,
    ...jobsAt(17),
    severityNumber: 9,
    body: { 'count.int64': 1152921504606846976n, 'count.negative': -4611686018427387904n, 'count.huge': 1208925819614629174706183n },
    attributes: { 'max.safe': 9007199254740991, 'min.int32': -2147483648, user: { id: 1, roles: ['admin', 'ops'] } },
    ...PLAIN,
  },
  {
    seq: 12,
    ...jobsAt(18),
    severityNumber: 9,
    body: 'special floats',
    attributes: { inf: Infinity, 'neg.inf': -Infinity, tiny: 5e-324, pi: Math.PI },
    ...PLAIN,
  },
  {
    seq: 13,
    ...jobsAt(19),
    severityNumber: 21,
    severityText: 'FATAL',
    body: 'job 7 crashed',
    attributes: { 'job.id': 7, 'job.tags': ['nightly', 'billing'], 'job.weights': [0.5, 1.5] },
    eventName: 'job.crashed',
    ...PLAIN,
  },
  { seq: 14, ...jobsAt(20), severityNumber: 9, attributes: { 'job.id': 8 }, eventName: 'job.started', ...PLAIN },
  { seq: 15, ...jobsAt(21), severityNumber: 9, body: 'unicode: héllo wörld — 日本語 🚀', attributes: { empty: '', 'emoji.key.🔑': 'value' }, ...PLAIN },
  {
    seq: 16,
    ...jobsAt(22),
    severityNumber: 9,
    body: 'a long value that is not interned: 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789',
    attributes: {},
    ...PLAIN,
  },
  {
    seq: 17,
    ...jobsAt(23),
    severityNumber: 9,
    body: 'too many attributes',
    attributes: { 'attr.0': 0, 'attr.1': 1, 'attr.2': 2, 'attr.3': 3, 'attr.4': 4, 'attr.5': 5, 'attr.6': 6, 'attr.7': 7 },
    ...PLAIN,
    droppedAttributesCount: 3,
  },
  { seq: 18, ...jobsAt(24), severityNumber: 9, body: `${'x'.repeat(230)}…`, attributes: { trimmed: 'yes' }, ...PLAIN, truncated: true },
  {
    seq: 19,
    timestamp: 1767225601000000001n,
    observedTimestamp: 1767225601000000002n,
    severityNumber: 9,
    severityText: 'INFO',
    body: 'GET /health',
    attributes: { 'http.method': 'GET', 'http.status_code': 204 },
    scope: HTTP_SCOPE,
    ...SAMPLED,
    ...PLAIN,
  },
];

test('the fixture starts with the v1 magic and version 1.0', () => {
  const prefix = readFileSync(FIXTURE).subarray(0, 12);
  assert.equal([...prefix], [0x89, 0x54, 0x54, 0x4c, 0x4f, 0x47, 0x0d, 0x0a, 1, 0, 0, 0]);
});

test('the v1 fixture header reads back as written', async () => {
  const { metadata, damage } = await readSnapshot(FIXTURE);
  assert.equal(damage, []);
  assert.equal(metadata.formatVersion, { major: 1, minor: 0 });
  assert.is(metadata.service, 'fixture-service');
  assert.is(metadata.reason, 'fixture');
  assert.equal(metadata.resource, {
    'service.name': 'fixture-service',
    'service.version': '1.2.3',
    'deployment.environment.name': 'test',
    'host.cpu.count': 2,
  });
  assert.equal(metadata.producer, { name: 'ttlog', version: '0.1.0' });
  assert.equal(metadata.counters, { written: 20, captured: 20, overwritten: 0, skipped: 0, truncated: 1, dropped: 0 });
  assert.is(metadata.records, 20);
  assert.is(metadata.chunks, 1);
  assert.not.ok('cause' in metadata);
  // Where and when the fixture was written is not pinned, only that it is there and well-formed.
  assert.type(metadata.hostname, 'string');
  assert.ok(metadata.hostname.length > 0);
  assert.ok(Number.isInteger(metadata.pid) && metadata.pid > 0);
  assert.ok(metadata.createdAt.getTime() > Date.UTC(2025, 0, 1), `createdAt ${String(metadata.createdAt)}`);
});

test('the v1 fixture records read back exactly', async () => {
  const { records } = await readSnapshot(FIXTURE);
  assert.is(records.length, EXPECTED.length);
  for (let i = 0; i < EXPECTED.length; i++) assert.equal(records[i], EXPECTED[i], `record ${i}`);
});

test('the v1 fixture reads the same from bytes and record by record', async () => {
  const fromBytes = await readSnapshot(readFileSync(FIXTURE));
  assert.equal(fromBytes.records, EXPECTED);
  const streamed: SnapshotRecord[] = [];
  for await (const record of iterateSnapshot(FIXTURE, { strict: true })) streamed.push(record);
  assert.equal(streamed, EXPECTED);
});

test.run();
