/**
 * Copies a ring into its persisted file (persist-format.ts), a batch at a time: the records
 * committed since the last batch, validated with the slot stamps exactly as a capture validates
 * them (snapshot/ring-capture.ts), and the intern entries published since. Runs in any thread
 * that has the ring's buffer; producers never see it.
 *
 * Each `tick()` is a few positioned writes into a file made at full size up front, and no fsync:
 * the page cache holds the writes when the process is killed, which is the case this is for (a
 * host crash is not; docs/crash-capture.md). Write order within a batch: intern bytes and entries
 * first, then the records (which may use those entries), then the state block. A kill between
 * any two leaves a file whose checks say what is whole.
 */
import * as fs from 'node:fs';
import { createCborEncoder } from '../format/cbor.ts';
import { InternKind } from '../record/intern-table.ts';
import { committedStamp, Header, INTERN_ENTRY_WORDS, type LaneViews, type RingViews, ringId, SLOT_WORDS, stampDistance } from '../record/ring-layout.ts';
import { readWide } from '../record/wide-counter.ts';
import {
  encodePrefix,
  encodeStateCopy,
  INTERN_ENTRY_BYTES,
  internChecksum,
  type PersistedOwner,
  type PersistedSizes,
  type PersistedState,
  type PersistLayout,
  PREFIX_BYTES,
  persistLayout,
  SLOT_HEAD_BYTES,
  STATE_BYTES,
  writeSlotHead,
} from './persist-format.ts';

/** Largest staging buffer for one flush of slot records: a few large writes per batch, bounded memory. */
const MAX_STAGE_BYTES = 4 * 1024 * 1024;
/** The file is filled with zeros in pieces of this size when it is made, so its blocks are allocated up front. */
const FILL_BYTES = 1024 * 1024;

/** Where a persister writes and whose file it is. */
export interface RingPersisterSettings {
  /** The file to make; it must not exist. */
  readonly path: string;
  readonly owner: PersistedOwner;
}

/** The sizes of a ring, as its persisted file records them. */
export function persistedSizes(ring: RingViews): PersistedSizes {
  return {
    slotBytes: ring.slotBytes,
    internCapacity: ring.internCapacity,
    internBytes: ring.internBytes,
    lanes: ring.lanes.map((lane) => ({ slotCount: lane.slotCount, minSeverity: lane.minSeverity })),
  };
}

/**
 * Records (or intern entries) claimed but not yet committed at a batch are looked at again at
 * every later batch, up to this many per lane: one per producer thread stopped between its claim
 * and its commit. A thread the scheduler keeps off the CPU that long is not rare on a loaded
 * machine, and its record must not be given up for it.
 */
const MAX_PENDING = 256;

/** One lane's place in the write order: the next ticket to look at, and tickets being written at the last batch. */
interface LaneCursor {
  next: number;
  pending: number[];
}

/** Keeps one ring's persisted file up to date, one {@link tick} at a time (see the top of this file). */
export class RingPersister {
  private readonly fd: number;
  private readonly layout: PersistLayout;
  private readonly cbor = createCborEncoder();
  private readonly stage: Buffer;
  private readonly stateCopy = Buffer.alloc(STATE_BYTES);
  /** Slot runs staged and not yet written: [file position, stage start, length]. */
  private readonly runs: number[] = [];
  private staged = 0;
  private readonly cursors: LaneCursor[];
  private interned = 0;
  /** Intern ids claimed but not yet published at the last batch. */
  private internPending: number[] = [];
  private sequence = 0;
  private resource: Readonly<Record<string, unknown>> | undefined;
  private closed = false;
  /** Bytes handed to the kernel by {@link tick} so far (the zero fill and the prefix not counted). */
  bytesWritten = 0;

  /** Makes the file (0600, full size, prefix written); throws when it cannot. */
  constructor(
    private readonly ring: RingViews,
    settings: RingPersisterSettings,
  ) {
    const sizes = persistedSizes(ring);
    this.layout = persistLayout(sizes);
    this.cursors = ring.lanes.map(() => ({ next: 0, pending: [] }));
    const largestLane = Math.max(...ring.lanes.map((lane) => lane.slotCount)) * this.layout.slotStride;
    this.stage = Buffer.alloc(Math.max(this.layout.slotStride, Math.min(MAX_STAGE_BYTES, largestLane)));
    this.fd = openFresh(settings.path);
    try {
      // The prefix first: a prober that finds the file can tell its owner at once.
      const prefix = encodePrefix(sizes, ringId(ring), this.cbor.encode(settings.owner));
      fs.writeSync(this.fd, prefix, 0, prefix.length, 0);
      const zeros = Buffer.alloc(Math.min(FILL_BYTES, this.layout.fileBytes));
      for (let at = PREFIX_BYTES; at < this.layout.fileBytes; at += zeros.length)
        fs.writeSync(this.fd, zeros, 0, Math.min(zeros.length, this.layout.fileBytes - at), at);
    } catch (error) {
      fs.closeSync(this.fd);
      fs.rmSync(settings.path, { force: true });
      throw error;
    }
  }

  /** The resource's attributes, carried by every state block from the next batch on. */
  setResource(attributes: Readonly<Record<string, unknown>>): void {
    this.resource = attributes;
  }

  /** Persists what was committed since the last batch; synchronous, a few positioned writes. */
  tick(): void {
    if (this.closed) return;
    // Taken before the ring is read: whatever was committed before this time is in the batch.
    const at = Date.now();
    const lanes = this.ring.lanes.map((lane, index) => this.stageLane(lane, index));
    this.flush();
    const state: PersistedState = { at, lanes, interned: this.interned, ...(this.resource === undefined ? {} : { resource: this.resource }) };
    const length = encodeStateCopy(this.stateCopy, ++this.sequence, this.cbor.encode(state));
    this.write(this.stateCopy, 0, length, this.layout.stateOffsets[this.sequence & 1]!);
  }

  /** One positioned write, all of it: a short write (a full disk) throws rather than leave a batch half made. */
  private write(buffer: Buffer, offset: number, length: number, position: number): void {
    const written = fs.writeSync(this.fd, buffer, offset, length, position);
    if (written !== length) throw new Error(`ttlog: the persisted ring took ${written} of ${length} bytes`);
    this.bytesWritten += length;
  }

  /** Closes the file; `tick` does nothing after this. Does not remove it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }

  /** Stages the lane's tickets since the last batch, and those still being written then; returns the lane's counters for the state block. */
  private stageLane(lane: LaneViews, index: number): PersistedState['lanes'][number] {
    const { words } = this.ring;
    const cursor = this.cursors[index]!;
    const written = readWide(words, lane.base + Header.Head);
    // Tickets the ring has already overwritten are beyond reach; the recovered counts say so.
    const oldest = written - lane.slotCount;
    const stillPending = cursor.pending.filter((ticket) => ticket >= oldest && this.stageTicket(lane, index, ticket) === 'pending');
    cursor.next = Math.max(cursor.next, oldest);
    for (; cursor.next < written; cursor.next++) {
      const ticket = cursor.next;
      // Being written: looked at again next batch, while later tickets go on.
      if (this.stageTicket(lane, index, ticket) === 'pending' && stillPending.length < MAX_PENDING) stillPending.push(ticket);
    }
    cursor.pending = stillPending;
    return {
      written,
      persisted: cursor.next,
      truncated: readWide(words, lane.base + Header.Truncated),
      dropped: readWide(words, lane.base + Header.Dropped),
    };
  }

  /** Copies one ticket's record into the stage, or marks it not taken; `pending` while it is being written. */
  private stageTicket(lane: LaneViews, laneIndex: number, ticket: number): 'staged' | 'pending' {
    const { words, bytes } = this.ring;
    const slot = ticket % lane.slotCount;
    const stampIndex = lane.slotTable + slot * SLOT_WORDS;
    const expected = committedStamp(ticket);
    const before = Atomics.load(words, stampIndex);
    if (before !== expected) {
      if (stampDistance(before, ticket) <= 0) return 'pending';
      this.stageEmpty(lane, laneIndex, ticket);
      return 'staged';
    }
    const length = Atomics.load(words, stampIndex + 1);
    if (length <= 0 || length > lane.slotBytes) {
      this.stageEmpty(lane, laneIndex, ticket);
      return 'staged';
    }
    const at = this.reserveSlot(lane, laneIndex, ticket);
    const start = lane.slotsStart + slot * lane.slotBytes;
    bytes.copy(this.stage, at + SLOT_HEAD_BYTES, start, start + length);
    // As in ring-capture.ts: a compare-exchange, so the copy's reads stay ordered before it.
    if (Atomics.compareExchange(words, stampIndex, expected, expected) !== expected) writeSlotHead(this.stage, at, ticket, 0);
    else writeSlotHead(this.stage, at, ticket, length);
    return 'staged';
  }

  private stageEmpty(lane: LaneViews, laneIndex: number, ticket: number): void {
    writeSlotHead(this.stage, this.reserveSlot(lane, laneIndex, ticket), ticket, 0);
  }

  /** Room in the stage for the file slot of `ticket`, extending the current run when it is the next slot in the file. */
  private reserveSlot(lane: LaneViews, laneIndex: number, ticket: number): number {
    const stride = this.layout.slotStride;
    if (this.staged + stride > this.stage.length) this.flush();
    const position = this.layout.lanes[laneIndex]! + (ticket % lane.slotCount) * stride;
    const at = this.staged;
    const runs = this.runs;
    const last = runs.length - 3;
    if (last >= 0 && runs[last]! + runs[last + 2]! === position && runs[last + 1]! + runs[last + 2]! === at) runs[last + 2]! += stride;
    else runs.push(position, at, stride);
    this.staged += stride;
    return at;
  }

  /** Writes the intern entries published so far, then the staged slot runs. */
  private flush(): void {
    this.persistIntern();
    const runs = this.runs;
    for (let i = 0; i < runs.length; i += 3) this.write(this.stage, runs[i + 1]!, runs[i + 2]!, runs[i]!);
    runs.length = 0;
    this.staged = 0;
  }

  /**
   * The intern entries published since the last batch, and those claimed but unpublished then:
   * their bytes, then their entries with CRCs. New ids go in one write (zeros for the ones not
   * published yet); ids published since they were found pending, in one write each.
   */
  private persistIntern(): void {
    const { words, internCapacity } = this.ring;
    const first = this.interned;
    const end = Math.max(first, Math.min(internCapacity, Atomics.load(words, Header.InternNextId)));
    const table = Buffer.alloc((end - first) * INTERN_ENTRY_BYTES);
    const bytes = { low: Number.POSITIVE_INFINITY, high: 0 };
    /** Entries published since they were found pending, each written after the bytes as the new ones are. */
    const late: { readonly id: number; readonly entry: Buffer }[] = [];
    const pending: number[] = [];
    for (const id of this.internPending) {
      const entry = Buffer.alloc(INTERN_ENTRY_BYTES);
      const state = this.internEntry(id, entry, 0, bytes);
      if (state === 'published') late.push({ id, entry });
      if (state === 'pending') pending.push(id);
    }
    for (let id = first; id < end; id++) {
      if (this.internEntry(id, table, (id - first) * INTERN_ENTRY_BYTES, bytes) === 'pending' && pending.length < MAX_PENDING) pending.push(id);
    }
    if (bytes.high > bytes.low)
      this.write(this.ring.bytes, this.ring.internBytesStart + bytes.low, bytes.high - bytes.low, this.layout.internBytes + bytes.low);
    if (table.length > 0) this.write(table, 0, table.length, this.layout.internEntries + first * INTERN_ENTRY_BYTES);
    for (const { id, entry } of late) this.write(entry, 0, INTERN_ENTRY_BYTES, this.layout.internEntries + id * INTERN_ENTRY_BYTES);
    this.interned = end;
    this.internPending = pending;
  }

  /** Writes intern entry `id` into `out` at `at` when it is published, widening `bytes` to its bytes; says what state it is in. */
  private internEntry(id: number, out: Buffer, at: number, bytes: { low: number; high: number }): 'published' | 'pending' | 'abandoned' {
    const { words, internTable, internBytesStart } = this.ring;
    const entry = internTable + id * INTERN_ENTRY_WORDS;
    const kind = Atomics.load(words, entry + 2);
    if (kind === InternKind.Abandoned) return 'abandoned';
    if (kind !== InternKind.Text && kind !== InternKind.Scope) return 'pending';
    const offset = words[entry]!;
    const length = words[entry + 1]!;
    const content = this.ring.bytes.subarray(internBytesStart + offset, internBytesStart + offset + length);
    out.writeUInt32LE(offset, at);
    out.writeUInt32LE(length, at + 4);
    out.writeUInt32LE(kind, at + 8);
    out.writeUInt32LE(internChecksum(id, offset, length, kind, content), at + 12);
    bytes.low = Math.min(bytes.low, offset);
    bytes.high = Math.max(bytes.high, offset + length);
    return 'published';
  }
}

/**
 * Opens the file to be made, which must not exist — unless this process made it: its name is this
 * process's own (persisted-file-name.ts), so an existing one is that of a recorder thread that
 * crashed, and the thread that replaces it makes the file again from the ring.
 */
function openFresh(path: string): number {
  try {
    return fs.openSync(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return fs.openSync(path, 'r+');
  }
}
