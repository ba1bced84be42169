import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSnapshot } from 'ttlog';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDuration, parseLevel, parseTime, recordPredicate } from '../src/filters.ts';
import type { SnapshotSource } from '../src/sources.ts';
import { HOSTILE, KEYS_AS_DATA } from './support/hostile.ts';
import { at, CART, CHECKOUT, runViewInProcess, TRACE_STOCK, writeServiceSnapshot } from './support/snapshots.ts';

const directory = mkdtempSync(join(tmpdir(), 'ttlog-'));
const shop = join(directory, 'shop');
mkdirSync(shop);
const shopFiles = [await writeServiceSnapshot(shop, CHECKOUT), await writeServiceSnapshot(shop, CART)];
const hostile = await writeServiceSnapshot(directory, HOSTILE);

/** The bodies `ttlog-view --json ARGS shop` prints, in order (non-string bodies as JSON). */
async function bodies(...args: string[]): Promise<string[]> {
  const result = await runViewInProcess(['--json', ...args, shop]);
  assert.is(result.stderr, '');
  assert.is(result.code, 0);
  return result.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const body = (JSON.parse(line) as { body: unknown }).body;
      return typeof body === 'string' ? body : JSON.stringify(body);
    });
}

const iso = (nanos: bigint) => `${new Date(Number(nanos / 1_000_000n)).toISOString().slice(0, 19)}.${String(nanos % 1_000_000_000n).padStart(9, '0')}Z`;

test('--level keeps records at or above a severity', async () => {
  assert.equal(await bodies('--level', 'warn'), [
    'payment slow',
    'inventory lookup failed',
    'payment failed: card declined',
    'worker crashed\n  at charge (pay.js:42)',
  ]);
  assert.equal(await bodies('--level', 'ERROR'), ['inventory lookup failed', 'payment failed: card declined', 'worker crashed\n  at charge (pay.js:42)']);
  assert.equal(await bodies('--level', '21'), ['worker crashed\n  at charge (pay.js:42)']);
  assert.equal(await bodies('--level', 'info3'), [
    'cart updated',
    'payment slow',
    'inventory lookup failed',
    'payment failed: card declined',
    'worker crashed\n  at charge (pay.js:42)',
  ]);
});

test('--since and --until take ISO times to the nanosecond', async () => {
  assert.equal(await bodies('--since', iso(at(2500, 123)), '--until', iso(at(3000, 456_789))), [
    'payment slow',
    'inventory lookup failed',
    'payment failed: card declined',
  ]);
  assert.equal(await bodies('--since', iso(at(2500, 124)), '--until', iso(at(3000, 456_788))), ['inventory lookup failed']);
  assert.equal(await bodies('--until', '2026-03-14T15:09:26.500Z'), ['server started', 'cache warm']);
});

test('--since and --until take durations, counted back from the newest snapshot', async () => {
  const recent = join(directory, 'recent');
  mkdirSync(recent);
  const now = BigInt(Date.now()) * 1_000_000n;
  const minute = 60_000_000_000n;
  await writeServiceSnapshot(recent, {
    service: 'api',
    records: [
      { at: now - 10n * minute, severityNumber: 9, body: 'ten minutes before' },
      { at: now - 2n * minute, severityNumber: 9, body: 'two minutes before' },
      { at: now - 1_000_000_000n, severityNumber: 9, body: 'a second before' },
    ],
  });
  const run = async (...args: string[]) =>
    (await runViewInProcess(['--json', ...args, recent])).stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line).body);
  assert.equal(await run('--since', '5m'), ['two minutes before', 'a second before']);
  assert.equal(await run('--until', '5m'), ['ten minutes before']);
  assert.equal(await run('--since', '1h', '--until', '90s'), ['ten minutes before', 'two minutes before']);
});

test('--grep matches the body with a regular expression', async () => {
  assert.equal(await bodies('--grep', '^payment'), ['payment slow', 'payment failed: card declined']);
  assert.equal(await bodies('--grep', 'FAILED$'), []);
  assert.equal(await bodies('--grep', '"total":42'), ['{"event":"checkout","total":42.5}']);
});

test('--where matches attributes by value or presence; several must all match', async () => {
  assert.equal(await bodies('--where', 'order.id=A-17'), ['order received', 'payment slow', 'payment failed: card declined']);
  assert.equal(await bodies('--where', 'order.id=A-17', '--where', 'error.type=CardDeclined'), ['payment failed: card declined']);
  assert.equal(await bodies('--where', 'user=ana maria'), ['cart opened']);
  assert.equal(await bodies('--where', 'port=8080'), ['server started']);
  assert.equal(await bodies('--where', 'customer'), ['order received']);
  assert.equal(await bodies('--where', 'items=["book","pen"]'), ['order received']);
  assert.equal(await bodies('--where', 'order.id=A-18'), []);
});

test('--where takes attribute keys as data: a name every object has matches only a record that has it', async () => {
  // Inherited from Object.prototype, these once matched every record (a function shows as {}).
  assert.equal(await bodies('--where', 'constructor={}'), []);
  const records = [...(await readSnapshot(shopFiles[0]!)).records, ...(await readSnapshot(hostile)).records];
  const matching = (key: string, value?: string) => {
    const predicate = recordPredicate({ where: [[key, value]], services: [], scopes: [], window: 0n }, 0n)!;
    return records.filter((record) => predicate({ record, source: {} as SnapshotSource })).map((record) => record.body);
  };
  for (const key of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
    assert.equal(matching(key, '{}'), [], `${key}={}`);
    assert.equal(matching(key), key === 'constructor' || key === '__proto__' ? [KEYS_AS_DATA] : [], key);
  }
  assert.equal(matching('constructor', 'c'), [KEYS_AS_DATA]);
  assert.equal(matching('__proto__', 'own'), [KEYS_AS_DATA]);
});

test('--trace-id keeps one trace', async () => {
  assert.equal(await bodies('--trace-id', TRACE_STOCK.traceId.toUpperCase()), ['inventory lookup failed']);
});

test('--service and --scope, with * patterns, repeatable', async () => {
  assert.equal(await bodies('--service', 'cart'), ['cart opened', 'cart updated', 'inventory lookup failed', '{"event":"checkout","total":42.5}']);
  assert.equal((await bodies('--service', 'check*')).length, CHECKOUT.records.length);
  assert.equal(await bodies('--scope', 'pay'), ['payment slow', 'payment failed: card declined']);
  assert.equal(await bodies('--scope', 'inv*', '--scope', 'cache'), ['cache warm', 'inventory lookup failed']);
  assert.equal(await bodies('--service', 'cart', '--scope', 'pay'), []);
});

test('--last N keeps the newest matching records', async () => {
  assert.equal(await bodies('--last', '2'), ['worker crashed\n  at charge (pay.js:42)', '{"event":"checkout","total":42.5}']);
  assert.equal(await bodies('--level', 'error', '--last', '1'), ['worker crashed\n  at charge (pay.js:42)']);
  assert.equal((await bodies('--last', '1000')).length, 10);
});

test('--last N alone, read from the end of each file, is the tail of the whole merged timeline', async () => {
  const all = await bodies();
  assert.is(all.length, 10);
  for (let count = 1; count <= all.length; count++) assert.equal(await bodies('--last', String(count)), all.slice(-count), `--last ${count}`);
});

test('--around first-error shows the window around the first error of the merged timeline', async () => {
  assert.equal(await bodies('--around', 'first-error', '--window', '600ms'), [
    'payment slow',
    'inventory lookup failed',
    'payment failed: card declined',
    'worker crashed\n  at charge (pay.js:42)',
  ]);
  assert.equal(await bodies('--around', 'first-error', '--window', '1ms'), ['inventory lookup failed']);
  // The first error of the filtered timeline: checkout's, once cart is filtered out.
  assert.equal(await bodies('--service', 'checkout', '--around', 'first-error', '--window', '50ms'), ['payment failed: card declined']);
  assert.equal((await bodies('--around', 'first-error')).length, 10, 'the default window is 30s');
});

test('--around TIME shows the window around that time', async () => {
  assert.equal(await bodies('--around', iso(at(1000)), '--window', '100ms'), ['cart opened']);
  assert.equal(await bodies('--around', iso(at(1000)), '--window', '1s'), ['server started', 'cache warm', 'cart opened', 'order received', 'cart updated']);
});

test('filters combine with the text output too', async () => {
  const result = await runViewInProcess(['--utc', '--level', 'error', '--service', 'checkout', shop]);
  assert.is(
    result.stdout,
    `2026-03-14T15:09:29.000Z ERROR  checkout/${process.pid} 0af76519 [pay] payment failed: card declined order.id=A-17 error.type=CardDeclined\n2026-03-14T15:09:29.100Z FATAL  checkout/${process.pid}          [app] worker crashed\\n  at charge (pay.js:42)\n`,
  );
});

test('durations, times and levels parse as documented', () => {
  assert.is(parseDuration('500ms'), 500_000_000n);
  assert.is(parseDuration('1h30m'), 5_400_000_000_000n);
  assert.is(parseDuration('1d'), 86_400_000_000_000n);
  assert.is(parseDuration('5'), undefined);
  assert.equal(parseTime('2m', '--since'), { before: 120_000_000_000n });
  assert.equal(parseTime('2026-03-14T15:09:26.000000001Z', '--since'), { at: at(0, 1) });
  assert.equal(parseTime('2026-03-14T15:09:26+00:00', '--since'), { at: at(0) });
  assert.throws(() => parseTime('2026-03-14T15:09:26.0000000001Z', '--since'), /ISO 8601/);
  assert.is(parseLevel('warning'), 13);
  assert.is(parseLevel('fatal'), 21);
  assert.is(parseLevel('debug2'), 6);
  assert.throws(() => parseLevel('25'), /expected trace/);
});

test.after(() => rmSync(directory, { recursive: true, force: true }));

test.run();
