/**
 * The records of a ring not handed off yet — all of them, or those of some traces — as an
 * in-memory snapshot, read back through the same capture, encoder and reader as a snapshot file,
 * so a handed-off record carries exactly what a file would.
 *
 * Selection is synchronous: the ring is captured, the chosen tickets are marked taken at once
 * (so two hand-offs never pick the same record), and what the capture copied leaves the ring's
 * hands. Memory: the capture (at most the ring's slot bytes) and its compressed encoding; the
 * records themselves are built a batch at a time by the reader.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Header, type RingViews } from '../record/ring-layout.ts';
import { readWide } from '../record/wide-counter.ts';
import { slotTraceIdAt } from '../snapshot/record-decoder.ts';
import { captureRing, type RingCapture } from '../snapshot/ring-capture.ts';
import { SnapshotEncoder } from '../snapshot/snapshot-encoder.ts';
import { VERSION } from '../version.ts';
import type { HandedOffTickets } from './handed-off-tickets.ts';

/** What one hand-off takes from the ring: its records as snapshot bytes. */
export interface RingSelection {
  readonly records: number;
  /** Builds the snapshot bytes, yielding to the event loop between chunks. */
  encode(): Promise<Buffer>;
}

/**
 * Takes the records not in `taken` (of the traces in `traceIds`, lowercase hex, when given) and
 * marks them taken; `undefined` when there are none.
 */
export function selectFromRing(ring: RingViews, taken: HandedOffTickets, traceIds: ReadonlySet<string> | undefined): RingSelection | undefined {
  const capture = captureRing(ring);
  for (const [lane, counters] of capture.laneCounters.entries()) {
    // Tickets before the window are gone from the ring: nothing can take them any more.
    taken.raise(lane, counters.written - Math.min(counters.written, ring.lanes[lane]!.slotCount));
  }
  const chosen: number[] = [];
  for (let i = 0; i < capture.count; i++) {
    const lane = capture.lanes[i]!;
    const ticket = capture.tickets[i]!;
    if (taken.has(lane, ticket)) continue;
    if (traceIds !== undefined && !traceIds.has(traceIdOf(capture, i))) continue;
    chosen.push(i);
  }
  if (chosen.length === 0) return undefined;
  for (const i of chosen) taken.add(capture.lanes[i]!, capture.tickets[i]!);
  const selected = subCapture(capture, chosen);
  return { records: selected.count, encode: () => encodeSnapshot(ring, selected) };
}

/** Per lane: the tickets written so far, and the first still in the ring's window (the ones before it are overwritten). */
export function ringWindow(ring: RingViews): { readonly start: number[]; readonly written: number[] } {
  const written = ring.lanes.map((lane) => readWide(ring.words, lane.base + Header.Head));
  return { written, start: written.map((count, lane) => count - Math.min(count, ring.lanes[lane]!.slotCount)) };
}

function traceIdOf(capture: RingCapture, index: number): string {
  const at = slotTraceIdAt(capture.bytes, capture.starts[index]!);
  return at < 0 ? '' : capture.bytes.toString('hex', at, at + 16);
}

/** The chosen records of a capture, as a capture of their own over the same bytes. */
function subCapture(capture: RingCapture, chosen: readonly number[]): RingCapture {
  const pick = <T extends Uint32Array | Float64Array | Uint8Array>(column: T, make: (length: number) => T): T => {
    const out = make(chosen.length);
    for (let i = 0; i < chosen.length; i++) out[i] = column[chosen[i]!]!;
    return out;
  };
  return {
    ...capture,
    starts: pick(capture.starts, (n) => new Uint32Array(n)),
    lengths: pick(capture.lengths, (n) => new Uint32Array(n)),
    tickets: pick(capture.tickets, (n) => new Float64Array(n)),
    lanes: pick(capture.lanes, (n) => new Uint8Array(n)),
    count: chosen.length,
  };
}

async function encodeSnapshot(ring: RingViews, capture: RingCapture): Promise<Buffer> {
  const encoder = new SnapshotEncoder(ring, capture);
  const chunks: Buffer[] = [];
  for (const chunk of encoder.chunkBlocks()) {
    chunks.push(chunk);
    await yieldToEventLoop();
  }
  const prefix = encoder.filePrefix({
    service: '',
    hostname: '',
    pid: process.pid,
    reason: 'handoff',
    createdAt: new Date(),
    resource: {},
    producer: { name: 'ttlog', version: VERSION },
  });
  return Buffer.concat([prefix, ...chunks, encoder.endBlock()]);
}
