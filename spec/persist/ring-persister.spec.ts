import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readSnapshot, type Snapshot, SnapshotExporter, type SnapshotRecord, TTLogProcessor } from '../../src/index.ts';
import { persistLayout } from '../../src/persist/persist-format.ts';
import { persistedSnapshotBytes } from '../../src/persist/persist-recovery.ts';
import { PersistedFileError } from '../../src/persist/persisted-file-error.ts';
import { readPersistedRing } from '../../src/persist/persisted-ring.ts';
import { persistedSizes, RingPersister } from '../../src/persist/ring-persister.ts';
import { Header, openRingBuffer, SLOT_WORDS } from '../../src/record/ring-layout.ts';
import { claimSlot, commitSlot } from '../../src/record/slot-claim.ts';
import { incrementWide } from '../../src/record/wide-counter.ts';
import { otel } from '../support/otel.ts';
import { seededRandom } from '../support/seeded-random.ts';

const OWNER = {
  service: 'persisted',
  hostname: 'host',
  pid: 4242,
  space: 'unknown',
  start: '0',
  createdAt: Date.UTC(2026, 0, 1),
  lock: { kind: 'path', name: '.ttlog-0123456789abcdef.sock' },
} as const;

/** A processor on a small ring, a persister of that ring, and the persisted file's path. */
function harness(capacity = 64) {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-persist-'));
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory, serviceName: 'persisted' }), capacity, severityLane: { capacity: 64 } });
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  const logger = provider.getLogger('persist-spec') as unknown as { emit(record: never): void };
  const ring = openRingBuffer(processor.handle.buffer);
  const path = join(directory, 'ring.persist');
  const persister = new RingPersister(ring, { path, owner: OWNER });
  let n = 0;
  return {
    processor,
    persister,
    path,
    emit(count: number, severityNumber = 9) {
      for (let i = 0; i < count; i++) {
        n++;
        logger.emit({
          timestamp: [1_800_000_000 + n, n],
          severityNumber,
          body: `record ${n}`,
          attributes: { n, route: `/r/${n % 5}`, id: `id-${n}` },
        } as never);
      }
    },
    live: async (): Promise<Snapshot> => readSnapshot(await processor.snapshot()),
    recovered: async (bytes = readFileSync(path)) => {
      const persisted = readPersistedRing(bytes);
      return { persisted, snapshot: await readSnapshot(persistedSnapshotBytes(persisted)) };
    },
    cleanup() {
      persister.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** A record as a test compares it: everything a reader gives back. */
function key(record: SnapshotRecord): string {
  return JSON.stringify([record.lane, record.seq, record.body, record.attributes, record.severityNumber, String(record.timestamp), record.scope]);
}

function assertIdentity(snapshot: Snapshot): void {
  const c = snapshot.metadata.counters;
  assert.is(c.written, c.captured + c.overwritten + c.skipped, 'written = captured + overwritten + skipped');
  assert.is(snapshot.records.length, c.captured);
}

test('a persisted ring recovers to the records and counters a live snapshot has', async () => {
  const h = harness();
  try {
    h.emit(40);
    h.persister.tick();
    h.emit(100);
    h.emit(10, 17);
    h.persister.tick();
    const live = await h.live();
    const { snapshot, persisted } = await h.recovered();
    assert.equal(snapshot.records.map(key), live.records.map(key));
    assert.equal(snapshot.metadata.counters, live.metadata.counters);
    assert.equal(snapshot.metadata.lanes, live.metadata.lanes);
    assert.is(snapshot.metadata.reason, 'recovered');
    assert.is(snapshot.metadata.pid, OWNER.pid);
    assert.is(snapshot.metadata.service, OWNER.service);
    assert.equal(persisted.damage, { missingBytes: 0, stateCopies: 0, internEntries: 0, slots: 0 });
    assertIdentity(snapshot);
  } finally {
    h.cleanup();
  }
});

test('records committed after the last batch are not in the file; those before are', async () => {
  const h = harness();
  try {
    h.emit(30);
    h.persister.tick();
    const before = (await h.live()).records.map(key);
    h.emit(5);
    const { snapshot } = await h.recovered();
    assert.equal(snapshot.records.map(key), before);
    assert.is(snapshot.metadata.counters.written, 30);
    assertIdentity(snapshot);
  } finally {
    h.cleanup();
  }
});

test('a record still being written at a batch is persisted at a later one, however long its producer stalls, while later records go on', async () => {
  const h = harness();
  try {
    h.emit(5);
    const ring = openRingBuffer(h.processor.handle.buffer);
    // A producer that took ticket 5 and stalled after claiming its slot; it copies record 2 there later.
    const stalled = incrementWide(ring.words, Header.Head);
    const at = claimSlot(ring, stalled);
    assert.ok(at >= 0);
    h.emit(3);
    for (let i = 0; i < 3; i++) h.persister.tick();
    const before = await h.recovered();
    assert.equal(
      before.snapshot.records.map((record) => record.seq),
      [0, 1, 2, 3, 4, 6, 7, 8],
    );
    assert.is(before.snapshot.metadata.counters.skipped, 1);
    const source = ring.lanes[0]!.slotsStart + 2 * ring.slotBytes;
    const length = ring.words[ring.slotTable + 2 * SLOT_WORDS + 1]!;
    ring.bytes.copy(ring.bytes, at, source, source + length);
    commitSlot(ring, stalled, length);
    h.persister.tick();
    const after = await h.recovered();
    // Record 5 holds record 2's bytes, time included: sorted by time, it comes after 2.
    assert.equal(
      after.snapshot.records.map((record) => record.seq).sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8],
    );
    assert.equal(after.snapshot.metadata.counters, (await h.live()).metadata.counters);
  } finally {
    h.cleanup();
  }
});

test('a persister that fell more than a ring behind keeps the last ring, and the counters say what was overwritten', async () => {
  const h = harness();
  try {
    h.emit(500);
    h.persister.tick();
    const live = await h.live();
    const { snapshot } = await h.recovered();
    assert.equal(snapshot.records.map(key), live.records.map(key));
    assert.is(snapshot.metadata.counters.overwritten, live.metadata.counters.overwritten);
    assertIdentity(snapshot);
  } finally {
    h.cleanup();
  }
});

test('a file cut short or with a flipped bit anywhere gives back only whole records, and reports the damage', async () => {
  const h = harness();
  try {
    h.emit(50);
    h.persister.tick();
    h.emit(100);
    h.emit(20, 17);
    h.persister.tick();
    const live = new Set((await h.live()).records.map(key));
    const whole = readFileSync(h.path);
    const layout = persistLayout(persistedSizes(openRingBuffer(h.processor.handle.buffer)));
    // Every slot boundary and every part boundary, and random offsets.
    const random = seededRandom(13);
    const cuts = new Set<number>([layout.internEntries, layout.internBytes, ...layout.stateOffsets, ...layout.lanes]);
    for (const start of layout.lanes) for (let slot = 0; slot <= 64; slot++) cuts.add(start + slot * layout.slotStride);
    for (let i = 0; i < 60; i++) cuts.add(4096 + Math.floor(random() * (whole.length - 4096)));
    for (const cut of cuts) {
      const { snapshot, persisted } = await h.recovered(whole.subarray(0, cut));
      for (const record of snapshot.records) assert.ok(live.has(key(record)), `cut at ${cut}: a record that was never logged`);
      assertIdentity(snapshot);
      if (cut < whole.length) assert.ok(persisted.damage.missingBytes > 0);
    }
    let reported = 0;
    for (let i = 0; i < 300; i++) {
      const flipped = Buffer.from(whole);
      const at = 4096 + Math.floor(random() * (whole.length - 4096));
      flipped[at]! ^= 1 << Math.floor(random() * 8);
      const { snapshot, persisted } = await h.recovered(flipped);
      for (const record of snapshot.records) assert.ok(live.has(key(record)), `bit flipped at ${at}: a record that was never logged`);
      assertIdentity(snapshot);
      const { damage } = persisted;
      if (damage.slots + damage.internEntries + damage.stateCopies > 0) reported++;
      if (snapshot.records.length < live.size)
        assert.ok(damage.slots + damage.internEntries + damage.stateCopies > 0, `bit flipped at ${at}: records lost without a damage report`);
    }
    assert.ok(reported > 0);
  } finally {
    h.cleanup();
  }
});

test('a slot flipped in its record bytes is dropped and counted as skipped', async () => {
  const h = harness();
  try {
    h.emit(10);
    h.persister.tick();
    const flipped = readFileSync(h.path);
    const layout = persistLayout(persistedSizes(openRingBuffer(h.processor.handle.buffer)));
    flipped[layout.lanes[0]! + 3 * layout.slotStride + 20]! ^= 0x10;
    const { snapshot, persisted } = await h.recovered(flipped);
    assert.is(persisted.damage.slots, 1);
    assert.is(snapshot.records.length, 9);
    assert.not.ok(snapshot.records.some((record) => record.body === 'record 4'));
    assert.is(snapshot.metadata.counters.skipped, 1);
  } finally {
    h.cleanup();
  }
});

test('bytes that are not a persisted ring, or whose prefix is damaged, are refused with a code', () => {
  const h = harness();
  try {
    h.persister.tick();
    const whole = readFileSync(h.path);
    const code = (bytes: Uint8Array) => {
      try {
        readPersistedRing(bytes);
        return 'read';
      } catch (error) {
        return error instanceof PersistedFileError ? error.code : String(error);
      }
    };
    assert.is(code(Buffer.from('not a ring at all')), 'NOT_PERSISTED');
    assert.is(code(whole.subarray(0, 100)), 'TRUNCATED');
    const damaged = Buffer.from(whole);
    damaged[70]! ^= 1;
    assert.is(code(damaged), 'PREFIX_CORRUPT');
    const newer = Buffer.from(whole);
    newer.writeUInt32LE(99, 8);
    assert.is(code(newer), 'UNSUPPORTED_VERSION');
  } finally {
    h.cleanup();
  }
});

test.run();
