/**
 * The layout of the one SharedArrayBuffer that holds a ring, its counters and its intern table.
 * Everything a producer or a snapshot needs lives in it, so a worker thread (or a watchdog) that
 * receives the buffer sees exactly what the main thread sees. See docs/architecture.md.
 *
 * A ring has one or two lanes: the main lane takes every record; an optional reserve lane takes
 * records at or above a severity (WARN by default) so that a flood of DEBUG/INFO records cannot
 * evict the last warnings and errors. Each lane has its own slots and counters; the intern table
 * is shared. Lane 0's header is the first 64 words, lane 1's the next 64, with the same offsets.
 *
 * Int32 words, in order:
 *   header (128 words: global fields and lane 0's, then lane 1's; hot counters on their own
 *     64-byte lines to avoid false sharing)
 *   slot tables: per lane, per slot [stamp, length]
 *   intern entries: per entry [offset, length, state]
 * then bytes: intern string bytes, then each lane's slot payloads (slotCount × slotBytes).
 */

import { randomFillSync } from 'node:crypto';
import { RING_ID_BYTES } from '../format/file-format.ts';

const LAYOUT_MAGIC = 0x74746c67; // "ttlg"
const LAYOUT_VERSION = 3;

/** Word indexes in the header; the lane fields are relative to the lane's header base. */
export const Header = {
  Magic: 0,
  Version: 1,
  /** Lane field. */
  SlotCount: 2,
  /** Lane field. */
  SlotBytes: 3,
  InternCapacity: 4,
  InternBytes: 5,
  NextProducerId: 6,
  LaneCount: 7,
  /** Lane field: the lowest severityNumber the lane takes. */
  MinSeverity: 8,
  /**
   * The ring's identity: 16 random bytes (words 12–15) set when the buffer is made, so every
   * thread writing snapshots of this ring stamps the same id on them and a reader can tell the
   * same record in two snapshots from two records of different rings (docs/format.md, `ring`).
   */
  RingId: 12,
  /** Lane field: tickets handed out = records written (wide counter: low, halfLaps). */
  Head: 16,
  /** Lane field: records trimmed to fit a slot (wide counter). */
  Truncated: 32,
  /** Lane field: records lost while claiming a slot or encoding (wide counter). */
  Dropped: 34,
  InternNextId: 48,
  InternBytesHead: 49,
  /** Emission order across lanes (32 bits, wrapping): breaks ties between equal timestamps. */
  Order: 56,
  /** Words per lane header. */
  LaneWords: 64,
  Words: 128,
} as const;

const MAX_LANES = 2;

/** Words of each slot's entry in its lane's slot table: its stamp and its record's length. */
export const SLOT_WORDS = 2;
/** Words of each intern entry in the intern table: its bytes' offset, their length, and its kind. */
export const INTERN_ENTRY_WORDS = 3;

/** The sizes a ring is made with (ring-options.ts works them out from the user's options). */
export interface RingSizes {
  /** Number of slots of the main lane; a power of two. */
  readonly slotCount: number;
  /** Bytes per slot = the largest encoded record; a multiple of 8. Both lanes use it. */
  readonly slotBytes: number;
  /** Most strings the intern table holds. */
  readonly internCapacity: number;
  /** Bytes for interned strings (UTF-8). */
  readonly internBytes: number;
  /** The reserve lane, if any: its slot count (a power of two) and lowest severityNumber. */
  readonly reserve?: { readonly slotCount: number; readonly minSeverity: number } | undefined;
}

/** One lane: where its header, slot table and payloads are. */
export interface LaneViews {
  /** Word index of the lane's header; counters are at `base + Header.Head` and so on. */
  readonly base: number;
  readonly minSeverity: number;
  readonly slotCount: number;
  readonly slotBytes: number;
  /** Word index of the lane's first slot stamp. */
  readonly slotTable: number;
  /** Byte offset of the lane's slot 0 payload. */
  readonly slotsStart: number;
}

/**
 * Typed views over a ring's buffer, shared by producers and snapshot readers. The slot fields at
 * the top level are lane 0's (the main lane).
 */
export interface RingViews extends LaneViews {
  readonly internCapacity: number;
  readonly internBytes: number;
  readonly lanes: readonly LaneViews[];
  readonly buffer: SharedArrayBuffer;
  readonly words: Int32Array;
  readonly bytes: Buffer;
  readonly data: DataView;
  /** Native-endian views for the aligned fixed part of a slot record (faster than DataView here). */
  readonly float64: Float64Array;
  readonly uint32: Uint32Array;
  readonly uint16: Uint16Array;
  /** Word index of the first intern entry. */
  readonly internTable: number;
  /** Byte offset of the intern string bytes. */
  readonly internBytesStart: number;
}

/**
 * A new ring of `sizes`: its header written (magic, version, sizes, lanes, a random ring id) and
 * every slot stamped free, ready for {@link openRingBuffer} in this thread or any other.
 */
export function createRingBuffer(sizes: RingSizes): SharedArrayBuffer {
  const lanes = [{ slotCount: sizes.slotCount, minSeverity: 0 }, ...(sizes.reserve === undefined ? [] : [sizes.reserve])];
  const slotTotal = lanes.reduce((sum, lane) => sum + lane.slotCount, 0);
  const wordCount = Header.Words + slotTotal * SLOT_WORDS + sizes.internCapacity * INTERN_ENTRY_WORDS;
  const internBytesStart = align8(wordCount * 4);
  const buffer = new SharedArrayBuffer(internBytesStart + align8(sizes.internBytes) + slotTotal * sizes.slotBytes);
  const words = new Int32Array(buffer);
  words[Header.Magic] = LAYOUT_MAGIC;
  words[Header.Version] = LAYOUT_VERSION;
  words[Header.InternCapacity] = sizes.internCapacity;
  words[Header.InternBytes] = sizes.internBytes;
  words[Header.LaneCount] = lanes.length;
  randomFillSync(new Uint8Array(buffer, Header.RingId * 4, RING_ID_BYTES));
  let slotTable = Header.Words;
  lanes.forEach((lane, index) => {
    const base = index * Header.LaneWords;
    words[base + Header.SlotCount] = lane.slotCount;
    words[base + Header.SlotBytes] = sizes.slotBytes;
    words[base + Header.MinSeverity] = lane.minSeverity;
    // Each slot starts out stamped as holding ticket (slot - slotCount), committed: older than
    // any real ticket it will see, so the first writer claims it like any other overwrite.
    for (let slot = 0; slot < lane.slotCount; slot++) words[slotTable + slot * SLOT_WORDS] = committedStamp(slot - lane.slotCount);
    slotTable += lane.slotCount * SLOT_WORDS;
  });
  return buffer;
}

/** Validates a buffer made by {@link createRingBuffer} and returns views over it. */
export function openRingBuffer(buffer: unknown): RingViews {
  if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < Header.Words * 4) {
    throw new TypeError('ttlog: a ring handle must carry the SharedArrayBuffer of a TTLogProcessor');
  }
  const words = new Int32Array(buffer);
  const laneCount = words[Header.LaneCount]!;
  if (words[Header.Magic] !== LAYOUT_MAGIC || words[Header.Version] !== LAYOUT_VERSION || laneCount < 1 || laneCount > MAX_LANES) {
    throw new TypeError('ttlog: this SharedArrayBuffer is not a ttlog ring of a compatible version');
  }
  const internCapacity = words[Header.InternCapacity]!;
  const internBytes = words[Header.InternBytes]!;
  const laneSizes = Array.from({ length: laneCount }, (_, index) => {
    const base = index * Header.LaneWords;
    return { base, slotCount: words[base + Header.SlotCount]!, slotBytes: words[base + Header.SlotBytes]!, minSeverity: words[base + Header.MinSeverity]! };
  });
  const slotTotal = laneSizes.reduce((sum, lane) => sum + lane.slotCount, 0);
  const internTable = Header.Words + slotTotal * SLOT_WORDS;
  const internBytesStart = align8((internTable + internCapacity * INTERN_ENTRY_WORDS) * 4);
  let slotTable = Header.Words;
  let slotsStart = internBytesStart + align8(internBytes);
  const lanes = laneSizes.map((lane): LaneViews => {
    const views = { ...lane, slotTable, slotsStart };
    slotTable += lane.slotCount * SLOT_WORDS;
    slotsStart += lane.slotCount * lane.slotBytes;
    return views;
  });
  return {
    ...lanes[0]!,
    lanes,
    buffer,
    words,
    bytes: Buffer.from(buffer),
    data: new DataView(buffer),
    float64: new Float64Array(buffer, 0, buffer.byteLength >> 3),
    uint32: new Uint32Array(buffer, 0, buffer.byteLength >> 2),
    uint16: new Uint16Array(buffer, 0, buffer.byteLength >> 1),
    internCapacity,
    internBytes,
    internTable,
    internBytesStart,
  };
}

/** The ring's identity (see `Header.RingId`), copied out of the shared buffer. */
export function ringId(ring: RingViews): Buffer {
  return Buffer.from(ring.bytes.subarray(Header.RingId * 4, Header.RingId * 4 + RING_ID_BYTES));
}

/*
 * Slot stamps: bit 0 says committed (1) or being written (0); bits 1..31 hold the ticket modulo
 * 2^31. A writer owns a slot from its compare-exchange to "being written" until it stores
 * "committed", so no two writers ever touch the same payload and a reader that sees the same
 * committed stamp before and after its copy has a whole record (a seqlock per slot).
 */
const TICKET_MASK = 0x7fffffff;

/** The stamp of a slot whose record of `ticket` is committed. */
export function committedStamp(ticket: number): number {
  return ((ticket & TICKET_MASK) << 1) | 1 | 0;
}

/** The stamp of a slot whose record of `ticket` is being written. */
export function writingStamp(ticket: number): number {
  return ((ticket & TICKET_MASK) << 1) | 0;
}

/** Whether a stamp says committed. */
export function isCommitted(stamp: number): boolean {
  return (stamp & 1) === 1;
}

/** How far the stamp's ticket is ahead of `ticket` (negative: behind), modulo 2^31. */
export function stampDistance(stamp: number, ticket: number): number {
  const distance = ((stamp >>> 1) - (ticket & TICKET_MASK)) & TICKET_MASK;
  return distance >= 0x40000000 ? distance - 0x80000000 : distance;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
