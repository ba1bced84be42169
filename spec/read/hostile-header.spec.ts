import { encode, Tag } from 'cbor-x';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCborDecoder } from '../../src/format/cbor.ts';
import { encodeFilePrefix } from '../../src/format/file-format.ts';
import { openSnapshot, readSnapshot, SnapshotFormatError } from '../../src/index.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { snapshotBytes } from '../support/snapshot-bytes.ts';
import { splitSnapshot } from '../support/snapshot-chunks.ts';

/** A real snapshot with two lanes (so the header has `lanes`) and a resource. */
function writeSnapshot(): Promise<Buffer> {
  return snapshotBytes({ serviceName: 'hostile', resource: { 'service.name': 'hostile' } }, (provider) => {
    const logger = provider.getLogger('hostile');
    logger.emit({ severityNumber: 9, body: 'info' });
    logger.emit({ severityNumber: 17, body: 'error' });
  });
}

const file = await writeSnapshot();
const split = splitSnapshot(file);
const header = createCborDecoder().decode(split.header) as Record<string, unknown>;
const blocks = file.subarray(split.prefix.length);

/** The file with `changed` as its header, sealed. */
function withHeader(changed: Uint8Array): Buffer {
  return Buffer.concat([encodeFilePrefix(changed), blocks]);
}

/** A tagged map (tag 40101, docs/format.md "Values") with `toString` and `valueOf` keys that are not functions. */
const HOSTILE_MAP = new Tag(['toString', 1, 'valueOf', 'text'], 40101);

/** Reads the whole file; what it throws, if anything. */
async function readError(bytes: Buffer): Promise<unknown> {
  try {
    const snapshot = await readSnapshot(bytes);
    // A header that reads must be safe to use as the types say.
    String(snapshot.metadata.service);
    String(snapshot.metadata.producer.name);
    return undefined;
  } catch (error) {
    return error;
  }
}

test('the unchanged header reads', async () => {
  assert.is(await readError(withHeader(split.header)), undefined);
  assert.ok(Array.isArray(header.lanes), 'the header has lanes');
});

test('a tagged map where text or an integer belongs is HEADER_CORRUPT, naming the field', async () => {
  const fields: Array<[string, (value: unknown) => Record<string, unknown>]> = [
    ['service', (value) => ({ ...header, service: value })],
    ['hostname', (value) => ({ ...header, hostname: value })],
    ['reason', (value) => ({ ...header, reason: value })],
    ['createdAt', (value) => ({ ...header, createdAt: value })],
    ['pid', (value) => ({ ...header, pid: value })],
    ['records', (value) => ({ ...header, records: value })],
    ['chunks', (value) => ({ ...header, chunks: value })],
    ['producer.name', (value) => ({ ...header, producer: { name: value, version: '1' } })],
    ['counters.written', (value) => ({ ...header, counters: { ...(header.counters as object), written: value } })],
    ['lanes.minSeverity', (value) => ({ ...header, lanes: [{ minSeverity: value }] })],
  ];
  for (const [name, change] of fields) {
    const error = await readError(withHeader(encode(change(HOSTILE_MAP))));
    assert.instance(error, SnapshotFormatError, name);
    assert.is((error as SnapshotFormatError).code, 'HEADER_CORRUPT', name);
    assert.match((error as SnapshotFormatError).message, new RegExp(`header field ${name.replace('.', '\\.')} is not`), name);
  }
});

/** Values a hostile or broken writer could put anywhere in a header. */
const ODD_VALUES: unknown[] = [
  HOSTILE_MAP,
  new Tag(['__proto__', { polluted: true }, 'constructor', 1, 'hasOwnProperty', 2], 40101),
  new Tag(7, 40100),
  new Tag('x', 40199),
  { toString: 'not a function', valueOf: 3 },
  [1, [2, [3]]],
  new Uint8Array([1, 2, 3]),
  new Uint8Array(16),
  2n ** 100n,
  -(2n ** 70n),
  Number.NaN,
  -Infinity,
  1.5,
  -1,
  2 ** 53 + 2,
  null,
  undefined,
  true,
  '',
  '\u0000\u001b[2J',
];

const FIELDS = [
  'service',
  'hostname',
  'pid',
  'reason',
  'createdAt',
  'resource',
  'producer',
  'counters',
  'lanes',
  'records',
  'chunks',
  'fileId',
  'cause',
  'ring',
];

/** A copy of `value` with one randomly chosen place in it (itself, a field, an item, a nested field) replaced by `odd`. */
function replaceSomewhere(value: unknown, random: () => number, odd: unknown, depth = 0): unknown {
  if (depth > 0 && random() < 0.4) return odd;
  if (Array.isArray(value) && value.length > 0) {
    const copy = [...value];
    const at = Math.floor(random() * copy.length);
    copy[at] = replaceSomewhere(copy[at], random, odd, depth + 1);
    return copy;
  }
  if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && !(value instanceof Tag)) {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    const keys = depth === 0 ? FIELDS : Object.keys(copy);
    const key = keys[Math.floor(random() * keys.length)];
    if (key !== undefined) copy[key] = replaceSomewhere(copy[key], random, odd, depth + 1);
    return copy;
  }
  return odd;
}

test('random changes to a header: every read either succeeds or throws a SnapshotFormatError', async () => {
  const random = seededRandom(0x4ead);
  const codes = new Map<string, number>();
  let read = 0;
  const trials = 1500;
  for (let trial = 0; trial < trials; trial++) {
    let bytes: Buffer;
    if (trial % 3 === 2) {
      // Bytes changed inside the CBOR, then sealed: malformed CBOR as well as odd values.
      bytes = Buffer.from(split.header);
      const changes = 1 + Math.floor(random() * 4);
      for (let i = 0; i < changes; i++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    } else {
      let changed: unknown = header;
      const changes = 1 + Math.floor(random() * 3);
      for (let i = 0; i < changes; i++) changed = replaceSomewhere(changed, random, ODD_VALUES[Math.floor(random() * ODD_VALUES.length)]);
      bytes = encode(changed) as Buffer;
    }
    const error = await readError(withHeader(bytes));
    if (error === undefined) {
      read++;
      continue;
    }
    assert.instance(error, SnapshotFormatError, `trial ${trial}: ${String(error)}`);
    const code = (error as SnapshotFormatError).code;
    codes.set(code, (codes.get(code) ?? 0) + 1);
  }
  assert.equal([...codes.keys()], ['HEADER_CORRUPT'], 'header changes are header errors');
  assert.ok(read > trials / 10 && read < trials * 0.9, `${read} of ${trials} changed headers read`);
  // The prototype of the objects a header becomes is untouched.
  assert.is(({} as Record<string, unknown>).polluted, undefined);
});

test('openSnapshot throws the same typed error for a hostile header, and closes the file', async () => {
  const error = await openSnapshot(withHeader(encode({ ...header, service: HOSTILE_MAP }))).catch((caught: unknown) => caught);
  assert.instance(error, SnapshotFormatError);
  assert.is((error as SnapshotFormatError).code, 'HEADER_CORRUPT');
});

test.run();
