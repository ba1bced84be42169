/**
 * The producer's half of the slot protocol: claim a slot for a ticket, commit it when written.
 *
 * A producer takes a ticket (`Atomics.add`), which names its slot (ticket mod slotCount), then
 * compare-exchanges the slot's stamp from "committed, older ticket" to "being written, my
 * ticket", writes the payload in place and stores "committed, my ticket". A slot still being
 * written by a lapped producer is never waited for: the newer record is dropped and counted.
 * The snapshot's half, the capture, is in snapshot/ring-capture.ts (docs/architecture.md §3).
 */
import { committedStamp, Header, isCommitted, type LaneViews, type RingViews, SLOT_WORDS, stampDistance, writingStamp } from './ring-layout.ts';
import { incrementWide } from './wide-counter.ts';

/** Claims `ticket`'s slot in `lane` (the main lane by default): a byte offset to write to, or -1 (record dropped, counted). */
export function claimSlot(ring: RingViews, ticket: number, lane: LaneViews = ring): number {
  const { words } = ring;
  const slot = ticket & (lane.slotCount - 1);
  const stampIndex = lane.slotTable + slot * SLOT_WORDS;
  const stamp = Atomics.load(words, stampIndex);
  if (!isCommitted(stamp) || stampDistance(stamp, ticket) >= 0) {
    incrementWide(words, lane.base + Header.Dropped);
    return -1;
  }
  if (Atomics.compareExchange(words, stampIndex, stamp, writingStamp(ticket)) !== stamp) {
    incrementWide(words, lane.base + Header.Dropped);
    return -1;
  }
  return lane.slotsStart + slot * lane.slotBytes;
}

/** Publishes the record written for `ticket`; length 0 marks a slot whose record was lost. */
export function commitSlot(ring: RingViews, ticket: number, length: number, lane: LaneViews = ring): void {
  const stampIndex = lane.slotTable + (ticket & (lane.slotCount - 1)) * SLOT_WORDS;
  ring.words[stampIndex + 1] = length;
  Atomics.store(ring.words, stampIndex, committedStamp(ticket));
}
