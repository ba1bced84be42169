/**
 * The producer's claim/commit protocol and the snapshot's copy of the ring.
 *
 * A producer takes a ticket (`Atomics.add`), which names its slot (ticket mod slotCount), then
 * compare-exchanges the slot's stamp from "committed, older ticket" to "being written, my
 * ticket", writes the payload in place and stores "committed, my ticket". A slot still being
 * written by a lapped producer is never waited for: the newer record is dropped and counted.
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
import { Header, SLOT_WORDS, committedStamp, isCommitted, stampDistance, writingStamp, type RingViews } from './ring-layout.ts';
import { incrementWide, readWide } from './wide-counter.ts';

/** Counts a snapshot carries; `written = captured + overwritten + skipped`. */
export interface RingCounters {
  /** Records ever written into the ring (tickets handed out). */
  readonly written: number;
  /** Records in this snapshot. */
  readonly captured: number;
  /** Records overwritten by newer ones before the snapshot could copy them. */
  readonly overwritten: number;
  /** Records in the window that were still being written, torn by an overwrite during the copy, or dropped. */
  readonly skipped: number;
  /** Records trimmed to fit their slot (they are still captured). */
  readonly truncated: number;
  /** Records a producer gave up on (slot busy with a lapped write, or encoding failed); within skipped or overwritten. */
  readonly dropped: number;
}

export interface RingCapture {
  /** Slot records, back to back. */
  readonly bytes: Buffer;
  readonly starts: Uint32Array;
  readonly lengths: Uint32Array;
  readonly tickets: Float64Array;
  readonly count: number;
  readonly counters: RingCounters;
}

/** The outcome of {@link claimSlot}: a byte offset to write to, or -1 (record dropped). */
export function claimSlot(ring: RingViews, ticket: number): number {
  const { words } = ring;
  const slot = ticket & (ring.slotCount - 1);
  const stampIndex = ring.slotTable + slot * SLOT_WORDS;
  const stamp = Atomics.load(words, stampIndex);
  if (!isCommitted(stamp) || stampDistance(stamp, ticket) >= 0) {
    incrementWide(words, Header.Dropped);
    return -1;
  }
  if (Atomics.compareExchange(words, stampIndex, stamp, writingStamp(ticket)) !== stamp) {
    incrementWide(words, Header.Dropped);
    return -1;
  }
  return ring.slotsStart + slot * ring.slotBytes;
}

/** Publishes the record written for `ticket`; length 0 marks a slot whose record was lost. */
export function commitSlot(ring: RingViews, ticket: number, length: number): void {
  const stampIndex = ring.slotTable + (ticket & (ring.slotCount - 1)) * SLOT_WORDS;
  ring.words[stampIndex + 1] = length;
  Atomics.store(ring.words, stampIndex, committedStamp(ticket));
}

/** Copies every whole record in the ring's window. Safe while producers keep writing. */
export function captureRing(ring: RingViews): RingCapture {
  const { words, slotCount, slotBytes } = ring;
  const written = readWide(words, Header.Head);
  const window = Math.min(written, slotCount);
  const first = written - window;
  let bytes: Buffer = Buffer.allocUnsafe(estimateBytes(ring, window));
  const starts = new Uint32Array(window);
  const lengths = new Uint32Array(window);
  const tickets = new Float64Array(window);
  let count = 0;
  let used = 0;
  let overwritten = first;
  let skipped = 0;
  for (let ticket = first; ticket < written; ticket++) {
    const slot = ticket % slotCount;
    const stampIndex = ring.slotTable + slot * SLOT_WORDS;
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
    if (used + length > bytes.length) bytes = grow(bytes, used + length);
    const start = ring.slotsStart + slot * slotBytes;
    ring.bytes.copy(bytes, used, start, start + length);
    // The closing check is a compare-exchange, not a load: its store-release half keeps the plain
    // copy reads above ordered before it on weakly ordered CPUs (ARM64), which a load would not.
    // Writing the same value back is invisible to producers, whose own CAS still sees `expected`.
    if (Atomics.compareExchange(words, stampIndex, expected, expected) !== expected) {
      skipped++;
      continue;
    }
    starts[count] = used;
    lengths[count] = length;
    tickets[count] = ticket;
    count++;
    used += length;
  }
  return {
    bytes,
    starts,
    lengths,
    tickets,
    count,
    counters: {
      written,
      captured: count,
      overwritten,
      skipped,
      truncated: readWide(words, Header.Truncated),
      dropped: readWide(words, Header.Dropped),
    },
  };
}

function estimateBytes(ring: RingViews, window: number): number {
  let total = 0;
  for (let slot = 0; slot < window; slot++) total += ring.words[ring.slotTable + slot * SLOT_WORDS + 1]! >>> 0;
  return Math.max(1024, Math.min(total + total / 8, window * ring.slotBytes));
}

function grow(bytes: Buffer, needed: number): Buffer {
  const larger = Buffer.allocUnsafe(Math.max(needed, bytes.length * 2));
  bytes.copy(larger);
  return larger;
}
