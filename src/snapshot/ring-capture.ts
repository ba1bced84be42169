/**
 * The snapshot's copy of the ring (the producer's claim/commit half is record/slot-claim.ts).
 *
 * The capture reads every ticket in the window [written − slotCount, written): a record is taken
 * only if its stamp reads "committed, this ticket" both before and after the copy, so a record
 * overwritten mid-copy is skipped, never returned torn. Every ticket lands in exactly one of
 * captured / overwritten / skipped, which is the accounting identity the file header carries.
 * Captures never modify the ring, so snapshots do not drain it.
 *
 * Memory order: stamps are read and written with seq-cst Atomics, and a producer changes a stamp
 * before touching the payload; the payload copy sits between a stamp load and a stamp
 * compare-exchange, the classic per-slot seqlock (see the comment at the closing check).
 */
import { committedStamp, Header, type LaneViews, type RingViews, SLOT_WORDS, stampDistance } from '../record/ring-layout.ts';
import { readWide } from '../record/wide-counter.ts';
import type { SnapshotCounters, SnapshotLaneCounters } from '../types.ts';

/** Counts a snapshot carries; `written = captured + overwritten + skipped` (the public type). */
export type RingCounters = SnapshotCounters;

/** One lane's counters, with the lowest severity the lane takes. */
export type LaneCounters = SnapshotLaneCounters;

/** The records one capture copied out of the ring, as columns (record `i` is index `i` of each), and its counts. */
export interface RingCapture {
  /** Slot records, back to back. */
  readonly bytes: Buffer;
  /** Where each record starts in `bytes`. */
  readonly starts: Uint32Array;
  /** Each record's length in bytes. */
  readonly lengths: Uint32Array;
  /** Each record's ticket: its place in its lane's write order, `seq` in the file. */
  readonly tickets: Float64Array;
  /** The lane each record came from (0: main, 1: reserve). */
  readonly lanes: Uint8Array;
  /** The number of records captured. */
  readonly count: number;
  /** Totals over the lanes. */
  readonly counters: RingCounters;
  readonly laneCounters: readonly LaneCounters[];
}

/** Copies every whole record in every lane's window. Safe while producers keep writing. */
export function captureRing(ring: RingViews): RingCapture {
  const out = new CaptureBuilder(ring);
  // Every lane's end is read before any lane is copied: a lane read after another was copied would
  // hold records logged during that copy, newer than the first lane's newest, and the file would
  // have a hole in the middle of its timeline instead of ending at one moment.
  const ends = ring.lanes.map((lane) => readWide(ring.words, lane.base + Header.Head));
  const laneCounters = ring.lanes.map((lane, index) => captureLane(ring, lane, index, ends[index]!, out));
  const total = (key: keyof RingCounters) => laneCounters.reduce((sum, counters) => sum + counters[key], 0);
  return {
    bytes: out.bytes,
    starts: out.starts,
    lengths: out.lengths,
    tickets: out.tickets,
    lanes: out.lanes,
    count: out.count,
    counters: {
      written: total('written'),
      captured: total('captured'),
      overwritten: total('overwritten'),
      skipped: total('skipped'),
      truncated: total('truncated'),
      dropped: total('dropped'),
    },
    laneCounters,
  };
}

/** Copies the lane's window that ends at ticket `written` (read by the caller). */
function captureLane(ring: RingViews, lane: LaneViews, laneIndex: number, written: number, out: CaptureBuilder): LaneCounters {
  const { words } = ring;
  const { slotCount, slotBytes } = lane;
  const first = written - Math.min(written, slotCount);
  const capturedBefore = out.count;
  let overwritten = first;
  let skipped = 0;
  for (let ticket = first; ticket < written; ticket++) {
    const slot = ticket % slotCount;
    const stampIndex = lane.slotTable + slot * SLOT_WORDS;
    const expected = committedStamp(ticket);
    const before = Atomics.load(words, stampIndex);
    if (before !== expected) {
      if (stampDistance(before, ticket) > 0) overwritten++;
      else skipped++;
      continue;
    }
    const length = Atomics.load(words, stampIndex + 1);
    if (length <= 0 || length > slotBytes) {
      skipped++;
      continue;
    }
    const at = out.reserve(length);
    const start = lane.slotsStart + slot * slotBytes;
    ring.bytes.copy(out.bytes, at, start, start + length);
    // The closing check is a compare-exchange, not a load: its store-release half keeps the plain
    // copy reads above ordered before it on weakly ordered CPUs (ARM64), which a load would not.
    // Writing the same value back is invisible to producers, whose own CAS still sees `expected`.
    if (Atomics.compareExchange(words, stampIndex, expected, expected) !== expected) {
      skipped++;
      continue;
    }
    out.commit(at, length, ticket, laneIndex);
  }
  return {
    minSeverity: lane.minSeverity,
    written,
    captured: out.count - capturedBefore,
    overwritten,
    skipped,
    truncated: readWide(words, lane.base + Header.Truncated),
    dropped: readWide(words, lane.base + Header.Dropped),
  };
}

/** The capture's private copy: record bytes back to back, plus per-record columns. */
class CaptureBuilder {
  bytes: Buffer;
  readonly starts: Uint32Array;
  readonly lengths: Uint32Array;
  readonly tickets: Float64Array;
  readonly lanes: Uint8Array;
  count = 0;
  private used = 0;

  constructor(ring: RingViews) {
    const slots = ring.lanes.reduce((sum, lane) => sum + lane.slotCount, 0);
    this.bytes = Buffer.allocUnsafe(estimateBytes(ring));
    this.starts = new Uint32Array(slots);
    this.lengths = new Uint32Array(slots);
    this.tickets = new Float64Array(slots);
    this.lanes = new Uint8Array(slots);
  }

  /** Room for `length` more bytes; returns where they go. */
  reserve(length: number): number {
    if (this.used + length > this.bytes.length) {
      const larger = Buffer.allocUnsafe(Math.max(this.used + length, this.bytes.length * 2));
      this.bytes.copy(larger, 0, 0, this.used);
      this.bytes = larger;
    }
    return this.used;
  }

  commit(at: number, length: number, ticket: number, lane: number): void {
    this.starts[this.count] = at;
    this.lengths[this.count] = length;
    this.tickets[this.count] = ticket;
    this.lanes[this.count] = lane;
    this.count++;
    this.used = at + length;
  }
}

/** The bytes the slots hold now: a good first size for the copy. */
function estimateBytes(ring: RingViews): number {
  let total = 0;
  let capacity = 0;
  for (const lane of ring.lanes) {
    for (let slot = 0; slot < lane.slotCount; slot++) total += ring.words[lane.slotTable + slot * SLOT_WORDS + 1]! >>> 0;
    capacity += lane.slotCount * lane.slotBytes;
  }
  return Math.max(1024, Math.min(total + total / 8, capacity));
}
