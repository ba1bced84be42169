/**
 * A persisted ring file (persist-format.ts) → an in-memory ring of the same sizes, holding every
 * record and intern entry that passes its check, with the counters of the last whole state block.
 * A capture of that ring (snapshot/ring-capture.ts) then accounts for every ticket as a live one
 * would: tickets whose slot was lost, torn or never persisted count as skipped, so the recovered
 * snapshot's `written = captured + overwritten + skipped` holds. Nothing that fails a check is
 * copied: damage only ever removes records.
 */
import { createCborDecoder } from '../format/cbor.ts';
import { InternKind } from '../record/intern-table.ts';
import { committedStamp, createRingBuffer, Header, INTERN_ENTRY_WORDS, openRingBuffer, type RingViews, SLOT_WORDS } from '../record/ring-layout.ts';
import {
  type DecodedPrefix,
  decodePrefix,
  decodeStateCopy,
  INTERN_ENTRY_BYTES,
  internChecksum,
  type PersistedOwner,
  type PersistedState,
  type PersistLayout,
  PREFIX_BYTES,
  persistLayout,
  readSlotHead,
  SLOT_HEAD_BYTES,
  STATE_BYTES,
} from './persist-format.ts';
import { PersistedFileError } from './persisted-file-error.ts';

/** What a recovery found damaged or missing; all zero for a file left whole. */
export interface PersistDamage {
  /** Bytes the file lacks at its end (cut short). */
  readonly missingBytes: number;
  /** State copies that failed their check (of two); with two, the counters come from the slots alone. */
  readonly stateCopies: number;
  /** Intern entries that failed their check: records that use them are counted as skipped. */
  readonly internEntries: number;
  /** Slots that failed their check: their records are counted as skipped. */
  readonly slots: number;
}

/** A persisted file read back into a ring. */
export interface PersistedRing {
  readonly ring: RingViews;
  readonly owner: PersistedOwner;
  /** The last whole state block; `undefined` when neither copy is whole. */
  readonly state: PersistedState | undefined;
  readonly damage: PersistDamage;
}

/** Reads a persisted file's bytes into a ring; throws a {@link PersistedFileError} for bytes that are not one, or whose prefix is damaged. */
export function readPersistedRing(bytes: Uint8Array): PersistedRing {
  const given = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const prefix = checkedPrefix(given);
  const decoder = createCborDecoder();
  const owner = checkedOwner(decoder.decode(prefix.ownerCbor));
  const layout = persistLayout(prefix.sizes);
  // A file cut short reads as zeros past its end: never-written parts, which no check accepts as data.
  const file = given.length >= layout.fileBytes ? given : Buffer.concat([given, Buffer.alloc(layout.fileBytes - given.length)]);
  const [first, second] = prefix.sizes.lanes;
  const ring = openRingBuffer(
    createRingBuffer({
      slotCount: first!.slotCount,
      slotBytes: prefix.sizes.slotBytes,
      internCapacity: prefix.sizes.internCapacity,
      internBytes: prefix.sizes.internBytes,
      reserve: second,
    }),
  );
  ring.bytes.set(prefix.ringId, Header.RingId * 4);
  const { state, badCopies } = readState(file, layout, decoder, ring.lanes.length);
  const internEntries = restoreIntern(file, layout, ring);
  const slots = ring.lanes.reduce((sum, _lane, index) => sum + restoreLane(file, layout, ring, index, state), 0);
  return { ring, owner, state, damage: { missingBytes: Math.max(0, layout.fileBytes - given.length), stateCopies: badCopies, internEntries, slots } };
}

/** The owner named by a persisted file's prefix (its first {@link PREFIX_BYTES} bytes); throws a {@link PersistedFileError} as {@link readPersistedRing} does. */
export function readPersistedOwner(prefix: Buffer): PersistedOwner {
  return checkedOwner(createCborDecoder().decode(checkedPrefix(prefix).ownerCbor));
}

function checkedPrefix(given: Buffer): DecodedPrefix {
  if (given.length < PREFIX_BYTES) {
    throw new PersistedFileError(decodePrefix(given) === 'not-persisted' ? 'NOT_PERSISTED' : 'TRUNCATED', 'the file ends inside its prefix');
  }
  const prefix = decodePrefix(given.subarray(0, PREFIX_BYTES));
  if (prefix === 'not-persisted') throw new PersistedFileError('NOT_PERSISTED', 'the file is not a ttlog persisted ring');
  if (prefix === 'unsupported-version') throw new PersistedFileError('UNSUPPORTED_VERSION', 'the persisted ring is of a version this reader does not know');
  if (prefix === 'damaged-prefix') throw new PersistedFileError('PREFIX_CORRUPT', 'the persisted ring prefix fails its checksum');
  return prefix;
}

/** The newer of the two state copies that passes its check. */
function readState(file: Buffer, layout: PersistLayout, decoder: ReturnType<typeof createCborDecoder>, laneCount: number) {
  let best: { sequence: number; state: PersistedState } | undefined;
  let badCopies = 0;
  for (const offset of layout.stateOffsets) {
    const copy = file.subarray(offset, offset + STATE_BYTES);
    if (copy.readUInt32LE(4) === 0 && copy.readUInt32LE(8) === 0) continue; // never written
    const decoded = decodeStateCopy(copy);
    const state = decoded === undefined ? undefined : checkedState(decoder.decode(decoded.payload), laneCount);
    if (decoded === undefined || state === undefined) {
      badCopies++;
      continue;
    }
    // Sequences count up by one per batch; the later of two neighbours wins, across a wrap too.
    if (best === undefined || ((decoded.sequence - best.sequence) | 0) > 0) best = { sequence: decoded.sequence, state };
  }
  return { state: best?.state, badCopies };
}

/** Copies every intern entry that passes its check; returns how many failed. */
function restoreIntern(file: Buffer, layout: PersistLayout, ring: RingViews): number {
  let damaged = 0;
  let next = 0;
  for (let id = 0; id < ring.internCapacity; id++) {
    const at = layout.internEntries + id * INTERN_ENTRY_BYTES;
    const offset = file.readUInt32LE(at);
    const length = file.readUInt32LE(at + 4);
    const kind = file.readUInt32LE(at + 8);
    const crc = file.readUInt32LE(at + 12);
    if (offset === 0 && length === 0 && kind === 0 && crc === 0) continue;
    const inBounds = offset + length <= ring.internBytes && (kind === InternKind.Text || kind === InternKind.Scope);
    const content = file.subarray(layout.internBytes + offset, layout.internBytes + offset + length);
    if (!inBounds || internChecksum(id, offset, length, kind, content) !== crc) {
      damaged++;
      continue;
    }
    ring.bytes.set(content, ring.internBytesStart + offset);
    const entry = ring.internTable + id * INTERN_ENTRY_WORDS;
    ring.words[entry] = offset;
    ring.words[entry + 1] = length;
    ring.words[entry + 2] = kind;
    next = id + 1;
  }
  ring.words[Header.InternNextId] = next;
  return damaged;
}

/** Copies a lane's whole slots of its last window into the ring and sets its counters; returns the slots that failed their check. */
function restoreLane(file: Buffer, layout: PersistLayout, ring: RingViews, index: number, state: PersistedState | undefined): number {
  const lane = ring.lanes[index]!;
  const start = layout.lanes[index]!;
  const found: { slot: number; ticket: number; length: number }[] = [];
  let damaged = 0;
  let written = state?.lanes[index]?.written ?? 0;
  for (let slot = 0; slot < lane.slotCount; slot++) {
    const head = readSlotHead(file, start + slot * layout.slotStride, lane.slotBytes);
    if (head === 'empty') continue;
    if (head === 'damaged') {
      damaged++;
      continue;
    }
    // The ticket is under the CRC, so a slot holding another slot's ticket was never written so.
    if (head.ticket % lane.slotCount !== slot) {
      damaged++;
      continue;
    }
    written = Math.max(written, head.ticket + 1);
    if (head.length > 0) found.push({ slot, ...head });
  }
  const first = written - Math.min(written, lane.slotCount);
  for (const { slot, ticket, length } of found) {
    if (ticket < first) continue; // an older lap's record: its slot's ticket in the window was not persisted
    const from = start + slot * layout.slotStride + SLOT_HEAD_BYTES;
    file.copy(ring.bytes, lane.slotsStart + slot * lane.slotBytes, from, from + length);
    const stampIndex = lane.slotTable + slot * SLOT_WORDS;
    ring.words[stampIndex + 1] = length;
    ring.words[stampIndex] = committedStamp(ticket);
  }
  setWide(ring.words, lane.base + Header.Head, written);
  setWide(ring.words, lane.base + Header.Truncated, state?.lanes[index]?.truncated ?? 0);
  setWide(ring.words, lane.base + Header.Dropped, state?.lanes[index]?.dropped ?? 0);
  return damaged;
}

/** Sets a wide counter (record/wide-counter.ts) to `value`, as `value` increments from zero would have. */
function setWide(words: Int32Array, lowIndex: number, value: number): void {
  words[lowIndex] = (value % 2 ** 32) | 0;
  words[lowIndex + 1] = Math.floor(value / 2 ** 31);
}

/** Lock names as liveness-lock.ts makes them: a name that could leave the directory is no owner's. */
const PATH_LOCK = /^\.ttlog-[0-9a-f]{16}\.sock$/;
const ABSTRACT_LOCK = /^ttlog-[0-9a-f]{16}$/;

function checkedOwner(value: unknown): PersistedOwner {
  const owner = value as Partial<PersistedOwner> | null;
  const lock = owner?.lock;
  if (
    typeof owner?.service !== 'string' ||
    typeof owner.hostname !== 'string' ||
    typeof owner.pid !== 'number' ||
    typeof owner.space !== 'string' ||
    typeof owner.start !== 'string' ||
    typeof owner.createdAt !== 'number' ||
    !((lock?.kind === 'path' && PATH_LOCK.test(String(lock.name))) || (lock?.kind === 'abstract' && ABSTRACT_LOCK.test(String(lock.name))))
  ) {
    throw new PersistedFileError('PREFIX_CORRUPT', 'the persisted ring names no owner');
  }
  return owner as PersistedOwner;
}

function checkedState(value: unknown, laneCount: number): PersistedState | undefined {
  const state = value as Partial<PersistedState> | null;
  if (typeof state?.at !== 'number' || typeof state.interned !== 'number' || !Array.isArray(state.lanes) || state.lanes.length !== laneCount) return undefined;
  const counts = (lane: unknown) =>
    ['written', 'persisted', 'truncated', 'dropped'].every(
      (key) => Number.isSafeInteger((lane as Record<string, unknown>)?.[key]) && ((lane as Record<string, number>)[key] ?? -1) >= 0,
    );
  if (!state.lanes.every(counts)) return undefined;
  if (state.resource !== undefined && (typeof state.resource !== 'object' || state.resource === null)) return undefined;
  return state as PersistedState;
}
