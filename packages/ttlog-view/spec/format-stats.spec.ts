import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SnapshotExporter, TTLogProcessor } from 'ttlog';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { otel } from '../../../spec/support/otel.ts';
import { openRingBuffer } from '../../../src/record/ring-layout.ts';
import { SnapshotWriter } from '../../../src/snapshot/snapshot-writer.ts';
import { StatsCollector } from '../src/format-stats.ts';
import { mergeSources } from '../src/merge.ts';
import { openSources } from '../src/sources.ts';
import { at, CART, CHECKOUT, hrTime, runViewer, writeServiceSnapshot } from './support/snapshots.ts';

const directory = mkdtempSync(join(tmpdir(), 'ttlog-'));
const shop = join(directory, 'shop');
mkdirSync(shop);
await writeServiceSnapshot(shop, CHECKOUT);
const cartFile = await writeServiceSnapshot(shop, CART);

test('--stats: per file and overall counts, time range and the ring counters', async () => {
  const result = await runViewer(['--stats', '--utc', shop]);
  assert.is(result.code, 0);
  const text = result.stdout;
  assert.match(text, new RegExp(`^cart/${process.pid} on \\S+ — .*ttlog-cart-.*\\.bin$`, 'm'));
  assert.match(text, /reason: manual/);
  assert.match(text, /records: 4 shown of 4 in the file, 2026-03-14T15:09:27.000Z → 2026-03-14T15:09:30.000Z \(3.000 s\)/);
  assert.match(text, /records: 6 shown of 6 in the file, 2026-03-14T15:09:26.000Z → 2026-03-14T15:09:29.100Z \(3.100 s\)/);
  assert.match(text, /ring: written 6, captured 6, overwritten 0, skipped 0, truncated 0, dropped 0/);
  assert.match(text, /severity: DEBUG 1, INFO 2, WARN 1, ERROR 1, FATAL 1/);
  assert.match(text, /scopes: cart 3, inventory 1\n/);
  assert.match(
    text,
    /overall: 2 files, 10 records, 2026-03-14T15:09:26.000Z → 2026-03-14T15:09:30.000Z \(4.000 s\)\n  severity: DEBUG 1, INFO 5, WARN 1, ERROR 2, FATAL 1\n  scopes: cart 3, http 2, pay 2, app 1, cache 1, inventory 1\n  services: checkout 6, cart 4\n$/,
  );
});

test('--stats counts what the filters keep; --stats --json gives the same as JSON', async () => {
  const result = await runViewer(['--stats', '--json', '--level', 'error', shop]);
  assert.is(result.code, 0);
  const stats = JSON.parse(result.stdout);
  assert.is(stats.overall.files, 2);
  assert.is(stats.overall.records, 3);
  assert.equal(stats.overall.severities, { ERROR: 2, FATAL: 1 });
  assert.equal(stats.overall.services, { cart: 1, checkout: 2 });
  assert.is(stats.overall.first, '2026-03-14T15:09:28.999000000Z');
  const checkout = stats.files.find((file: { service: string }) => file.service === 'checkout');
  assert.is(checkout.recordsInFile, 6);
  assert.is(checkout.records, 2);
  assert.equal(checkout.counters, { written: 6, captured: 6, overwritten: 0, skipped: 0, truncated: 0, dropped: 0 });
  assert.equal(checkout.damage, []);
});

test('--stats shows the loss counters of a ring that wrapped', async () => {
  const wrapped = join(directory, 'wrapped');
  mkdirSync(wrapped);
  const records = Array.from({ length: 40 }, (_, i) => ({ at: at(i), severityNumber: 9, body: `r${i}` }));
  await writeServiceSnapshot(wrapped, { service: 'busy', records, capacity: 16 });
  const result = await runViewer(['--stats', wrapped]);
  assert.match(result.stdout, /records: 16 shown of 16 in the file/);
  assert.match(result.stdout, /ring: written 40, captured 16, overwritten 24, skipped 0/);
});

test('--stats shows the cause of a crash snapshot', async () => {
  const crashed = join(directory, 'crashed');
  mkdirSync(crashed);
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory: crashed }) });
  const provider = new otel.LoggerProvider({ resource: otel.resourceFromAttributes({ 'service.name': 'billing' }), processors: [processor as never] });
  provider.getLogger('billing').emit({ timestamp: hrTime(at(0)), severityNumber: 17, body: 'charge failed' } as never);
  // What crash capture does: a snapshot of the ring with the exception as its cause.
  await new SnapshotWriter({ directory: crashed }).write({
    ring: openRingBuffer(processor.handle.buffer),
    reason: 'uncaughtException',
    cause: {
      'exception.type': 'TypeError',
      'exception.message': "Cannot read properties of undefined (reading 'id')",
      'exception.stacktrace': 'TypeError: boom\n    at charge (billing.js:7:3)',
    },
  });
  const result = await runViewer(['--stats', crashed]);
  assert.is(result.code, 0);
  assert.match(result.stdout, /reason: uncaughtException/);
  assert.match(
    result.stdout,
    /  cause:\n    exception.type: TypeError\n    exception.message: "Cannot read properties of undefined \(reading 'id'\)"\n    exception.stacktrace:\n      TypeError: boom\n          at charge \(billing.js:7:3\)\n/,
  );
  const json = JSON.parse((await runViewer(['--stats', '--json', crashed])).stdout);
  assert.is(json.files[0].cause['exception.type'], 'TypeError');
});

test('--stats reports damage per file', async () => {
  const { readFileSync, writeFileSync } = await import('node:fs');
  const damaged = join(directory, 'damaged');
  mkdirSync(damaged);
  const file = await writeServiceSnapshot(damaged, CART);
  const bytes = readFileSync(file);
  writeFileSync(file, bytes.subarray(0, bytes.length - 30));
  const result = await runViewer(['--stats', damaged]);
  assert.is(result.code, 1);
  assert.match(result.stdout, /  damage: TRUNCATED at byte \d+/);
  assert.match(result.stderr, /warning: .*damaged at byte/);
});

test('stats name what a file did not say, keep unspecified severities last, and leave empty files without a range', async () => {
  const { readFileSync, writeFileSync } = await import('node:fs');
  const garbage = join(directory, 'garbage.bin');
  writeFileSync(garbage, Buffer.concat([readFileSync(cartFile), Buffer.from('extra')]));
  const [damaged, empty] = await openSources([garbage, cartFile], (message) => assert.unreachable(message));
  // A file whose producer knew neither its service nor its host.
  const anonymous = { ...damaged!, metadata: { ...damaged!.metadata, service: '', hostname: '' } };
  const stats = new StatsCollector(
    [anonymous, empty!],
    mergeSources([anonymous, empty!], (message) => assert.unreachable(message)),
  );
  let index = 0;
  for await (const record of anonymous.reader.records()) {
    const unspecified = index++ % 2 === 0;
    stats.add({ source: anonymous, record: { ...record, severityNumber: unspecified ? 0 : 1, scope: unspecified ? { name: '' } : record.scope } });
  }
  await empty!.reader.close();
  assert.is(index, CART.records.length);

  const json = stats.toJSON();
  assert.equal(json.files[0]!.severities, { UNSPECIFIED: 2, TRACE: 2 });
  assert.equal(json.files[0]!.scopes, { '(none)': 2, cart: 2 });
  assert.equal(json.overall.services, { unknown: 4 });
  assert.is(json.files[1]!.records, 0);
  assert.is(json.files[1]!.first, null);
  assert.is(json.files[1]!.last, null);

  const text = stats.toText({ utc: true });
  assert.ok(text.includes(`${anonymous.label} on unknown host — ${garbage}`), text.join('\n'));
  assert.ok(text.includes('  severity: TRACE 2, UNSPECIFIED 2'), 'unspecified sorts after the named levels');
  const damage = text.filter((line) => line.startsWith('  damage: '));
  assert.equal(damage, [`  damage: TRAILING_GARBAGE at byte ${readFileSync(cartFile).length}: 5 bytes after the end block`]);
  assert.ok(text.includes(`  records: 0 shown of ${CART.records.length} in the file`), 'no time range for a file with no records shown');
});

test.after(() => rmSync(directory, { recursive: true, force: true }));

test.run();
