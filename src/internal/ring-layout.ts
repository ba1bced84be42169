/**
 * The layout of the one SharedArrayBuffer that holds a ring, its counters and its intern table.
 * Everything a producer or a snapshot needs lives in it, so a worker thread (or a watchdog) that
 * receives the buffer sees exactly what the main thread sees. See docs/architecture.md.
 *
 * Int32 words, in order:
 *   header (64 words; hot counters on their own 64-byte lines to avoid false sharing)
 *   slot table: per slot [stamp, length]
 *   intern entries: per entry [offset, length, state]
 * then bytes: intern string bytes, then slot payloads (slotCount × slotBytes).
 */

const LAYOUT_MAGIC = 0x74746c67; // "ttlg"
const LAYOUT_VERSION = 1;

/** Word indexes in the header. */
export const Header = {
  Magic: 0,
  Version: 1,
  SlotCount: 2,
  SlotBytes: 3,
  InternCapacity: 4,
  InternBytes: 5,
  NextProducerId: 6,
  /** Tickets handed out = records written (wide counter: low, halfLaps). */
  Head: 16,
  /** Records trimmed to fit a slot (wide counter). */
  Truncated: 32,
  /** Records lost before or while claiming a slot (wide counter). */
  Dropped: 34,
  InternNextId: 48,
  InternBytesHead: 49,
  Words: 64,
} as const;

export const SLOT_WORDS = 2;
export const INTERN_ENTRY_WORDS = 3;

export interface RingSizes {
  /** Number of slots; a power of two. */
  readonly slotCount: number;
  /** Bytes per slot = the largest encoded record; a multiple of 8. */
  readonly slotBytes: number;
  /** Most strings the intern table holds. */
  readonly internCapacity: number;
  /** Bytes for interned strings (UTF-8). */
  readonly internBytes: number;
}

/** Typed views over a ring's buffer, shared by producers and snapshot readers. */
export interface RingViews extends RingSizes {
  readonly buffer: SharedArrayBuffer;
  readonly words: Int32Array;
  readonly bytes: Buffer;
  readonly data: DataView;
  /** Native-endian views for the aligned fixed part of a slot record (faster than DataView here). */
  readonly float64: Float64Array;
  readonly uint32: Uint32Array;
  readonly uint16: Uint16Array;
  /** Word index of the first slot's stamp. */
  readonly slotTable: number;
  /** Word index of the first intern entry. */
  readonly internTable: number;
  /** Byte offset of the intern string bytes. */
  readonly internBytesStart: number;
  /** Byte offset of slot 0's payload. */
  readonly slotsStart: number;
}

export function createRingBuffer(sizes: RingSizes): SharedArrayBuffer {
  const wordCount = Header.Words + sizes.slotCount * SLOT_WORDS + sizes.internCapacity * INTERN_ENTRY_WORDS;
  const internBytesStart = align8(wordCount * 4);
  const total = internBytesStart + align8(sizes.internBytes) + sizes.slotCount * sizes.slotBytes;
  const buffer = new SharedArrayBuffer(total);
  const words = new Int32Array(buffer, 0, Header.Words);
  words[Header.Magic] = LAYOUT_MAGIC;
  words[Header.Version] = LAYOUT_VERSION;
  words[Header.SlotCount] = sizes.slotCount;
  words[Header.SlotBytes] = sizes.slotBytes;
  words[Header.InternCapacity] = sizes.internCapacity;
  words[Header.InternBytes] = sizes.internBytes;
  const slotWords = new Int32Array(buffer, Header.Words * 4, sizes.slotCount * SLOT_WORDS);
  // Each slot starts out stamped as holding ticket (slot - slotCount), committed: older than any
  // real ticket it will see, so the first writer claims it like any other overwrite.
  for (let slot = 0; slot < sizes.slotCount; slot++) {
    slotWords[slot * SLOT_WORDS] = committedStamp(slot - sizes.slotCount);
  }
  return buffer;
}

/** Validates a buffer made by {@link createRingBuffer} and returns views over it. */
export function openRingBuffer(buffer: unknown): RingViews {
  if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < Header.Words * 4) {
    throw new TypeError('ttlog: a ring handle must carry the SharedArrayBuffer of a TTLogProcessor');
  }
  const words = new Int32Array(buffer);
  if (words[Header.Magic] !== LAYOUT_MAGIC || words[Header.Version] !== LAYOUT_VERSION) {
    throw new TypeError('ttlog: this SharedArrayBuffer is not a ttlog ring of a compatible version');
  }
  const slotCount = words[Header.SlotCount]!;
  const slotBytes = words[Header.SlotBytes]!;
  const internCapacity = words[Header.InternCapacity]!;
  const internBytes = words[Header.InternBytes]!;
  const slotTable = Header.Words;
  const internTable = slotTable + slotCount * SLOT_WORDS;
  const internBytesStart = align8((internTable + internCapacity * INTERN_ENTRY_WORDS) * 4);
  return {
    buffer,
    words,
    bytes: Buffer.from(buffer),
    data: new DataView(buffer),
    float64: new Float64Array(buffer, 0, buffer.byteLength >> 3),
    uint32: new Uint32Array(buffer, 0, buffer.byteLength >> 2),
    uint16: new Uint16Array(buffer, 0, buffer.byteLength >> 1),
    slotCount,
    slotBytes,
    internCapacity,
    internBytes,
    slotTable,
    internTable,
    internBytesStart,
    slotsStart: internBytesStart + align8(internBytes),
  };
}

/*
 * Slot stamps: bit 0 says committed (1) or being written (0); bits 1..31 hold the ticket modulo
 * 2^31. A writer owns a slot from its compare-exchange to "being written" until it stores
 * "committed", so no two writers ever touch the same payload and a reader that sees the same
 * committed stamp before and after its copy has a whole record (a seqlock per slot).
 */
const TICKET_MASK = 0x7fffffff;

export function committedStamp(ticket: number): number {
  return (((ticket & TICKET_MASK) << 1) | 1) | 0;
}

export function writingStamp(ticket: number): number {
  return ((ticket & TICKET_MASK) << 1) | 0;
}

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
