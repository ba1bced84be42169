import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSnapshot, SnapshotExporter, TTLogProcessor } from 'ttlog';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { otel } from '../../../spec/support/otel.ts';
import { persistLayout } from '../../../src/persist/persist-format.ts';
import { persistedSizes, RingPersister } from '../../../src/persist/ring-persister.ts';
import { openRingBuffer } from '../../../src/record/ring-layout.ts';
import { runViewer } from './support/snapshots.ts';

const directory = mkdtempSync(join(tmpdir(), 'ttlog-view-recover-'));

/** A persisted ring file of `count` records `order N`, as a killed process with `persist` leaves it. */
function persistedFile(count: number): { path: string; layout: ReturnType<typeof persistLayout> } {
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory: join(directory, 'unused') }), capacity: 64, severityLane: false });
  const provider = new otel.LoggerProvider({ resource: otel.resourceFromAttributes({ 'service.name': 'orders' }), processors: [processor as never] });
  const logger = provider.getLogger('orders');
  for (let i = 0; i < count; i++) logger.emit({ severityNumber: 9, body: `order ${i}`, timestamp: 1_800_000_000_000 + i });
  const ring = openRingBuffer(processor.handle.buffer);
  const path = join(directory, `ttlog-orders-4242-99-${String(count).padStart(8, '0')}.persist`);
  const owner = {
    service: 'orders',
    hostname: 'host',
    pid: 4242,
    space: 'unknown',
    start: '99',
    createdAt: Date.now(),
    lock: { kind: 'path', name: '.ttlog-00000000000000aa.sock' },
  } as const;
  const persister = new RingPersister(ring, { path, owner });
  persister.tick();
  persister.close();
  return { path, layout: persistLayout(persistedSizes(ring)) };
}

test('ttlog-view recover writes the snapshot beside the persisted file and prints its path', async () => {
  const { path } = persistedFile(5);
  const result = await runViewer(['recover', path]);
  assert.is(result.code, 0, result.stderr);
  const written = result.stdout.trim();
  assert.match(written, /ttlog-orders-4242-.*-recovered\.bin$/);
  const snapshot = await readSnapshot(written);
  assert.equal(
    snapshot.records.map((record) => record.body),
    ['order 0', 'order 1', 'order 2', 'order 3', 'order 4'],
  );
  assert.is(snapshot.metadata.reason, 'recovered');
  assert.ok(existsSync(path), 'the persisted file stays');
});

test('ttlog-view recover --to DIR writes there; a damaged file gives back its intact records and exits 1', async () => {
  const { path, layout } = persistedFile(6);
  const damaged = readFileSync(path);
  damaged[layout.lanes[0]! + 2 * layout.slotStride + 20]! ^= 0xff;
  writeFileSync(path, damaged);
  const into = mkdtempSync(join(directory, 'into-'));
  const result = await runViewer(['recover', '--to', into, path]);
  assert.is(result.code, 1);
  assert.match(result.stderr, /damaged \(1 records/);
  assert.is(readdirSync(into).length, 1);
  const snapshot = await readSnapshot(join(into, readdirSync(into)[0]!));
  assert.equal(
    snapshot.records.map((record) => record.body),
    ['order 0', 'order 1', 'order 3', 'order 4', 'order 5'],
  );
});

test('ttlog-view recover: a file that is not a persisted ring, and no file at all', async () => {
  const other = join(directory, 'other.persist');
  writeFileSync(other, 'not a ring');
  const bad = await runViewer(['recover', other]);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /cannot recover: .*NOT_PERSISTED/);
  const none = await runViewer(['recover']);
  assert.is(none.code, 2);
});

test('ttlog-view reads a persisted file directly, as the snapshot it recovers to', async () => {
  const { path } = persistedFile(3);
  const result = await runViewer(['--json', path]);
  assert.is(result.code, 0, result.stderr);
  const bodies = result.stdout
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { body: string }).body);
  assert.equal(bodies, ['order 0', 'order 1', 'order 2']);
});

test.after(() => rmSync(directory, { recursive: true, force: true }));

test.run();
