import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readSnapshot, type Snapshot, SnapshotExporter, TTLogProcessor } from '../../src/index.ts';
import { committedStamp, Header, openRingBuffer, type RingViews, SLOT_WORDS } from '../../src/record/ring-layout.ts';
import { claimSlot, commitSlot } from '../../src/record/slot-claim.ts';
import { incrementWide, readWide } from '../../src/record/wide-counter.ts';
import { captureRing, type RingCapture } from '../../src/snapshot/ring-capture.ts';
import { SnapshotWriter } from '../../src/snapshot/snapshot-writer.ts';
import { otel } from '../support/otel.ts';

interface Logger {
  emit(record: never): void;
}

/** A processor on a small ring, a logger into it, and raw views of the same ring. */
function harness(capacity: number) {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-'));
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory, serviceName: 'ring' }), capacity });
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  const logger = provider.getLogger('ring') as unknown as Logger;
  let clock = 0;
  return {
    /** Writes snapshots of rings other than the processor's own views (interfering ones, below). */
    writer: new SnapshotWriter({ directory, serviceName: 'ring' }),
    processor,
    ring: openRingBuffer(processor.handle.buffer),
    /** Emits records whose body is `body`, with strictly increasing timestamps. */
    emit(body: unknown, attributes: Record<string, unknown> = {}) {
      clock++;
      logger.emit({ timestamp: [1_800_000_000 + clock, clock], body, attributes } as never);
    },
    async snapshot(): Promise<Snapshot> {
      return readSnapshot(await processor.snapshot());
    },
    cleanup: () => rmSync(directory, { recursive: true, force: true }),
  };
}

function assertAccounting(snapshot: Snapshot): void {
  const { written, captured, overwritten, skipped } = snapshot.metadata.counters;
  assert.is(written, captured + overwritten + skipped, 'written = captured + overwritten + skipped');
  assert.is(captured, snapshot.records.length);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

test('after 10× capacity records the snapshot holds exactly the newest `capacity`, in order', async () => {
  const h = harness(64);
  try {
    for (let i = 0; i < 640; i++) h.emit(i, { i });
    const snapshot = await h.snapshot();
    assert.equal(
      snapshot.records.map((record) => record.body),
      range(576, 640),
    );
    assert.equal(
      snapshot.records.map((record) => record.seq),
      range(576, 640),
    );
    assert.equal(snapshot.metadata.counters, { written: 640, captured: 64, overwritten: 576, skipped: 0, truncated: 0, dropped: 0 });
    assertAccounting(snapshot);
  } finally {
    h.cleanup();
  }
});

test('snapshots do not drain the ring: two in a row hold the same records, a later one the newer ones', async () => {
  const h = harness(32);
  try {
    for (let i = 0; i < 50; i++) h.emit(`record ${i}`);
    const first = await h.snapshot();
    const second = await h.snapshot();
    assert.equal(second.records, first.records);
    assert.equal(second.metadata.counters, first.metadata.counters);
    assert.equal(
      first.records.map((record) => record.seq),
      range(18, 50),
    );
    for (let i = 50; i < 60; i++) h.emit(`record ${i}`);
    const third = await h.snapshot();
    assert.equal(
      third.records.map((record) => record.body),
      range(28, 60).map((i) => `record ${i}`),
    );
    assertAccounting(third);
  } finally {
    h.cleanup();
  }
});

test('records are ordered by timestamp, and by write order when timestamps tie', async () => {
  const h = harness(16);
  try {
    const logger = new otel.LoggerProvider({ processors: [h.processor as never] }).getLogger('order');
    const at = (seconds: number, n: string) => logger.emit({ timestamp: [seconds, 0], body: n });
    at(30, 'c');
    at(10, 'a1');
    at(20, 'b');
    at(10, 'a2');
    const snapshot = await h.snapshot();
    assert.equal(
      snapshot.records.map((record) => record.body),
      ['a1', 'a2', 'b', 'c'],
    );
  } finally {
    h.cleanup();
  }
});

test('a slot left "being written" is skipped, never returned, and its lap is dropped and counted', async () => {
  const h = harness(16);
  try {
    for (let i = 0; i < 10; i++) h.emit(i);
    // A producer that took ticket 10 and stalled after claiming its slot.
    const stalled = incrementWide(h.ring.words, Header.Head);
    assert.is(stalled, 10);
    assert.ok(claimSlot(h.ring, stalled) >= 0);
    for (let i = 11; i < 14; i++) h.emit(i);

    let snapshot = await h.snapshot();
    assert.equal(
      snapshot.records.map((record) => record.seq),
      [...range(0, 10), 11, 12, 13],
    );
    assert.equal(snapshot.metadata.counters, { written: 14, captured: 13, overwritten: 0, skipped: 1, truncated: 0, dropped: 0 });

    // Ticket 26 lands on the stalled slot: the producer does not wait, it drops the record.
    for (let i = 14; i < 30; i++) h.emit(i);
    assert.is(h.processor.stats().dropped, 1);
    snapshot = await h.snapshot();
    assertAccounting(snapshot);
    assert.equal(
      snapshot.records.map((record) => record.seq),
      [...range(14, 26), ...range(27, 30)],
    );
    assert.equal(snapshot.metadata.counters, { written: 30, captured: 15, overwritten: 14, skipped: 1, truncated: 0, dropped: 1 });

    // The stalled producer finally gives up its slot (length 0: nothing was written); the next lap reuses it.
    commitSlot(h.ring, stalled, 0);
    for (let i = 30; i < 46; i++) h.emit(i);
    snapshot = await h.snapshot();
    assert.equal(
      snapshot.records.map((record) => record.body),
      range(30, 46),
    );
    assert.equal(snapshot.metadata.counters, { written: 46, captured: 16, overwritten: 30, skipped: 0, truncated: 0, dropped: 1 });
  } finally {
    h.cleanup();
  }
});

/**
 * Views of `ring` whose payload copy calls `interfere(slot)` halfway through copying that slot, so
 * a capture meets a producer mid-copy at a point the test chooses.
 */
function interferingViews(ring: RingViews, interfere: (slot: number) => void): RingViews {
  const bytes = Buffer.from(ring.buffer);
  const copy = Buffer.prototype.copy;
  bytes.copy = (target: Uint8Array, targetStart = 0, sourceStart = 0, sourceEnd = bytes.length) => {
    const half = sourceStart + Math.floor((sourceEnd - sourceStart) / 2);
    copy.call(bytes, target, targetStart, sourceStart, half);
    interfere(Math.floor((sourceStart - ring.slotsStart) / ring.slotBytes));
    copy.call(bytes, target, targetStart + (half - sourceStart), half, sourceEnd);
    return sourceEnd - sourceStart;
  };
  return { ...ring, bytes };
}

test('a record overwritten by a producer in the middle of its copy is skipped, not returned torn', async () => {
  const h = harness(16);
  try {
    // Same-sized records, so a torn copy would still decode, just with a mixed body.
    const body = (i: number) => `${i}:`.padEnd(300, 'a');
    for (let i = 0; i < 32; i++) h.emit(body(i), { i });
    // The first record of the window (ticket 16) shares its slot with the next ticket (32).
    let interfered = false;
    const views = interferingViews(h.ring, (slot) => {
      if (interfered) return;
      interfered = true;
      assert.is(slot, 0);
      h.emit('16:'.padEnd(300, 'z'), { i: 16 });
    });
    const path = await h.writer.write({ ring: views, reason: 'torn' });
    assert.ok(interfered);
    const snapshot = await readSnapshot(path);
    assert.equal(snapshot.metadata.counters, { written: 32, captured: 15, overwritten: 16, skipped: 1, truncated: 0, dropped: 0 });
    assert.equal(
      snapshot.records.map((record) => record.attributes.i),
      range(17, 32),
    );
    for (const record of snapshot.records) assert.is(record.body, body(record.attributes.i as number));
    // The ring itself is intact: the next snapshot has the 15 survivors and then the intruder.
    const after = await h.snapshot();
    assert.equal(
      after.records.map((record) => record.attributes.i),
      [...range(17, 32), 16],
    );
    assert.is(after.records[15]!.body, '16:'.padEnd(300, 'z'));
  } finally {
    h.cleanup();
  }
});

test('every slot: a claim or a whole rewrite during its copy costs exactly that record', () => {
  const h = harness(8);
  try {
    for (let i = 0; i < 12; i++) h.emit(`record ${i}`);
    const written = readWide(h.ring.words, Header.Head);
    for (let victim = written - 8; victim < written; victim++) {
      for (const commit of [false, true]) {
        const before = slotState(h.ring);
        const capture = captureRing(
          interferingViews(h.ring, (slot) => {
            if (slot !== victim % 8) return;
            // A producer a lap ahead claims the slot and scribbles over the payload.
            const start = claimSlot(h.ring, victim + 8);
            assert.ok(start >= 0);
            h.ring.bytes.fill(0xff, start, start + h.ring.slotBytes);
            if (commit) commitSlot(h.ring, victim + 8, 40);
          }),
        );
        assert.equal(
          capturedTickets(capture),
          range(written - 8, written).filter((ticket) => ticket !== victim),
          `victim ${victim}, commit ${commit}`,
        );
        assert.equal(capture.counters, { written, captured: 7, overwritten: written - 8, skipped: 1, truncated: 0, dropped: 0 });
        restoreSlots(h.ring, before);
      }
    }
  } finally {
    h.cleanup();
  }
});

/** Stamps, lengths and payloads of every slot, to undo a simulated producer. */
function slotState(ring: RingViews) {
  const table = ring.words.slice(ring.slotTable, ring.slotTable + ring.slotCount * SLOT_WORDS);
  const payload = Buffer.from(ring.bytes.subarray(ring.slotsStart, ring.slotsStart + ring.slotCount * ring.slotBytes));
  return { table, payload };
}

function restoreSlots(ring: RingViews, state: ReturnType<typeof slotState>): void {
  ring.words.set(state.table, ring.slotTable);
  state.payload.copy(ring.bytes, ring.slotsStart);
}

function capturedTickets(capture: RingCapture): number[] {
  return Array.from(capture.tickets.subarray(0, capture.count));
}

test('tickets keep their order and the accounting holds across 2^32 records', async () => {
  const h = harness(16);
  try {
    // Fast-forward the ring to just before 2^32 records: set the head counter and stamp each slot
    // as holding the last ticket that would have landed there (length 0, so none is captured).
    const start = 2 ** 32 - 8;
    h.ring.words[Header.Head] = start | 0;
    h.ring.words[Header.Head + 1] = Math.floor(start / 2 ** 31);
    for (let ticket = start - 16; ticket < start; ticket++) {
      const stamp = h.ring.slotTable + (ticket % 16) * SLOT_WORDS;
      h.ring.words[stamp] = committedStamp(ticket);
      h.ring.words[stamp + 1] = 0;
    }
    assert.is(h.processor.stats().written, start);
    let snapshot = await h.snapshot();
    assert.equal(snapshot.metadata.counters, { written: start, captured: 0, overwritten: start - 16, skipped: 16, truncated: 0, dropped: 0 });

    for (let i = 0; i < 40; i++) h.emit(i);
    snapshot = await h.snapshot();
    assert.equal(
      snapshot.records.map((record) => record.body),
      range(24, 40),
    );
    assert.equal(
      snapshot.records.map((record) => record.seq),
      range(start + 24, start + 40),
    );
    assert.equal(snapshot.metadata.counters, { written: start + 40, captured: 16, overwritten: start + 24, skipped: 0, truncated: 0, dropped: 0 });
    assert.is(h.processor.stats().written, start + 40);
  } finally {
    h.cleanup();
  }
});

test.run();
