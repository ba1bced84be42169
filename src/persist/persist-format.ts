/**
 * The persisted ring file (docs/format.md, "Persisted ring file"): where each part lives and how
 * each part is checksummed. One place knows these offsets; the persister writes them and the
 * recovery reads them.
 *
 * The file mirrors the ring: a fixed prefix (magic, version, the ring's sizes and id, the owner),
 * two copies of a state block (counters, time of the last batch, resource) written alternately so
 * a write torn by a kill leaves the other copy whole, the intern table, then each lane's slots.
 * Every intern entry and every slot carries a CRC-32 over its id or ticket, its length and its
 * bytes: a slot whose write was torn, or that holds bytes of two writes, fails its check and is
 * dropped, so no torn or mixed record is ever recovered. Per-slot checks are finer than per-batch
 * ones: a batch cut short by a kill still gives back every slot that reached the file whole.
 * Little-endian throughout.
 */
import { crc32 } from 'node:zlib';
import { RING_ID_BYTES } from '../format/file-format.ts';

/** The first 8 bytes of a persisted ring file. */
export const PERSIST_MAGIC = Buffer.from('TTLOGPRS', 'latin1');
export const PERSIST_VERSION = 1;

/** Bytes of the prefix: the fixed fields, the owner (CBOR) and the prefix's CRC. */
export const PREFIX_BYTES = 4096;
/** Bytes of the fixed fields at the start of the prefix; the owner's CBOR follows. */
const FIXED_BYTES = 64;
/** Bytes of each of the two state copies. */
export const STATE_BYTES = 65536;
/** A state copy: sequence(4) payloadLength(4) crc(4), then the payload (CBOR). */
export const STATE_HEAD_BYTES = 12;
/** An intern entry: offset(4) length(4) kind(4) crc(4). */
export const INTERN_ENTRY_BYTES = 16;
/** A slot's head: ticket(8, float64) length(4) crc(4); the record's bytes follow. */
export const SLOT_HEAD_BYTES = 16;
/** Lanes a ring has at most (ring-layout.ts). */
const MAX_LANES = 2;

/** The ring's sizes as the file's prefix records them. */
export interface PersistedSizes {
  readonly slotBytes: number;
  readonly internCapacity: number;
  readonly internBytes: number;
  readonly lanes: readonly { readonly slotCount: number; readonly minSeverity: number }[];
}

/** Who wrote a persisted file, and how a later process tells whether it is still running. */
export interface PersistedOwner {
  readonly service: string;
  readonly hostname: string;
  readonly pid: number;
  /** The pid space and kernel start time (snapshot/process-identity.ts). */
  readonly space: string;
  readonly start: string;
  /** Milliseconds since the epoch at which the file was made. */
  readonly createdAt: number;
  /** The liveness lock: the socket's name in the directory, or an abstract socket's name. */
  readonly lock: { readonly kind: 'path' | 'abstract'; readonly name: string };
}

/** One lane's counters in a state block. */
export interface PersistedLaneState {
  /** Tickets the lane had handed out at the batch. */
  readonly written: number;
  /** Every ticket below this one was persisted to its slot, or marked as not taken. */
  readonly persisted: number;
  readonly truncated: number;
  readonly dropped: number;
}

/** A state block: what the last whole batch knew. */
export interface PersistedState {
  /** Milliseconds since the epoch at which the batch began to read the ring: every record committed before it is in the batch. */
  readonly at: number;
  readonly lanes: readonly PersistedLaneState[];
  /** Intern ids below this one were persisted (or were never published). */
  readonly interned: number;
  /** The resource's attributes, once the processor knows them. */
  readonly resource?: Readonly<Record<string, unknown>> | undefined;
}

/** Where each part of a file of these sizes lives. */
export interface PersistLayout {
  readonly stateOffsets: readonly [number, number];
  readonly internEntries: number;
  readonly internBytes: number;
  /** Byte offset of each lane's slot 0 head. */
  readonly lanes: readonly number[];
  /** Bytes per slot in the file: head and record. */
  readonly slotStride: number;
  readonly fileBytes: number;
}

/** The offsets of every part of a file of `sizes`. */
export function persistLayout(sizes: PersistedSizes): PersistLayout {
  const stateOffsets: [number, number] = [PREFIX_BYTES, PREFIX_BYTES + STATE_BYTES];
  const internEntries = PREFIX_BYTES + 2 * STATE_BYTES;
  const internBytes = internEntries + sizes.internCapacity * INTERN_ENTRY_BYTES;
  const slotStride = SLOT_HEAD_BYTES + sizes.slotBytes;
  let at = align8(internBytes + sizes.internBytes);
  const lanes = sizes.lanes.map((lane) => {
    const start = at;
    at += lane.slotCount * slotStride;
    return start;
  });
  return { stateOffsets, internEntries, internBytes, lanes, slotStride, fileBytes: at };
}

/** The prefix: magic, version, sizes, ring id, then the owner's CBOR and a CRC over all of it. */
export function encodePrefix(sizes: PersistedSizes, ringId: Uint8Array, ownerCbor: Uint8Array): Buffer {
  if (FIXED_BYTES + ownerCbor.length + 4 > PREFIX_BYTES) throw new RangeError('ttlog: the persisted file owner does not fit its prefix');
  const out = Buffer.alloc(PREFIX_BYTES);
  PERSIST_MAGIC.copy(out, 0);
  out.writeUInt32LE(PERSIST_VERSION, 8);
  out.writeUInt32LE(sizes.lanes.length, 12);
  out.writeUInt32LE(sizes.slotBytes, 16);
  out.writeUInt32LE(sizes.internCapacity, 20);
  out.writeUInt32LE(sizes.internBytes, 24);
  sizes.lanes.forEach((lane, index) => {
    out.writeUInt32LE(lane.slotCount, 28 + index * 8);
    out.writeUInt32LE(lane.minSeverity, 32 + index * 8);
  });
  out.set(ringId.subarray(0, RING_ID_BYTES), 44);
  out.writeUInt32LE(ownerCbor.length, 60);
  out.set(ownerCbor, FIXED_BYTES);
  const end = FIXED_BYTES + ownerCbor.length;
  out.writeUInt32LE(crc32(out.subarray(0, end)), end);
  return out;
}

/** A prefix read back; `undefined` fields are what failed (see {@link decodePrefix}). */
export interface DecodedPrefix {
  readonly version: number;
  readonly sizes: PersistedSizes;
  readonly ringId: Buffer;
  readonly ownerCbor: Buffer;
}

/** Why a prefix cannot be used: the stable codes of `PersistedFileError`. */
export type PrefixProblem = 'not-persisted' | 'unsupported-version' | 'damaged-prefix';

/** Reads a prefix; a problem when it is not one, of another version, or fails its CRC. */
export function decodePrefix(prefix: Buffer): DecodedPrefix | PrefixProblem {
  if (prefix.length < FIXED_BYTES || !prefix.subarray(0, 8).equals(PERSIST_MAGIC)) return 'not-persisted';
  const version = prefix.readUInt32LE(8);
  if (version !== PERSIST_VERSION) return 'unsupported-version';
  const ownerLength = prefix.readUInt32LE(60);
  const end = FIXED_BYTES + ownerLength;
  if (end + 4 > prefix.length || crc32(prefix.subarray(0, end)) !== prefix.readUInt32LE(end)) return 'damaged-prefix';
  const laneCount = prefix.readUInt32LE(12);
  if (laneCount < 1 || laneCount > MAX_LANES) return 'damaged-prefix';
  const lanes = Array.from({ length: laneCount }, (_, index) => ({
    slotCount: prefix.readUInt32LE(28 + index * 8),
    minSeverity: prefix.readUInt32LE(32 + index * 8),
  }));
  const sizes = { slotBytes: prefix.readUInt32LE(16), internCapacity: prefix.readUInt32LE(20), internBytes: prefix.readUInt32LE(24), lanes };
  return { version, sizes, ringId: Buffer.from(prefix.subarray(44, 44 + RING_ID_BYTES)), ownerCbor: Buffer.from(prefix.subarray(FIXED_BYTES, end)) };
}

/** Writes a state copy into `out` (at 0): sequence, length, CRC, payload; returns its length. */
export function encodeStateCopy(out: Buffer, sequence: number, payload: Uint8Array): number {
  if (STATE_HEAD_BYTES + payload.length > STATE_BYTES) throw new RangeError('ttlog: the persisted state does not fit its block');
  out.writeUInt32LE(sequence >>> 0, 0);
  out.writeUInt32LE(payload.length, 4);
  out.set(payload, STATE_HEAD_BYTES);
  out.writeUInt32LE(stateChecksum(out, payload.length), 8);
  return STATE_HEAD_BYTES + payload.length;
}

/** A state copy's sequence and payload, or `undefined` when it was never written or fails its CRC. */
export function decodeStateCopy(copy: Buffer): { sequence: number; payload: Buffer } | undefined {
  const length = copy.readUInt32LE(4);
  if (length === 0 || STATE_HEAD_BYTES + length > copy.length) return undefined;
  if (stateChecksum(copy, length) !== copy.readUInt32LE(8)) return undefined;
  return { sequence: copy.readUInt32LE(0), payload: copy.subarray(STATE_HEAD_BYTES, STATE_HEAD_BYTES + length) };
}

function stateChecksum(copy: Buffer, length: number): number {
  return crc32(copy.subarray(STATE_HEAD_BYTES, STATE_HEAD_BYTES + length), crc32(copy.subarray(0, 8)));
}

/** The CRC of an intern entry: its id, place, length and kind, then its bytes. */
export function internChecksum(id: number, offset: number, length: number, kind: number, content: Uint8Array): number {
  const head = Buffer.allocUnsafe(16);
  head.writeUInt32LE(id, 0);
  head.writeUInt32LE(offset, 4);
  head.writeUInt32LE(length, 8);
  head.writeUInt32LE(kind, 12);
  return crc32(content, crc32(head));
}

/**
 * Writes a slot's head into `out` at `at` for the record of `ticket` whose `length` bytes follow
 * the head; length 0 marks a ticket that was not taken (overwritten or never committed).
 */
export function writeSlotHead(out: Buffer, at: number, ticket: number, length: number): void {
  out.writeDoubleLE(ticket, at);
  out.writeUInt32LE(length, at + 8);
  out.writeUInt32LE(slotChecksum(out, at, length), at + 12);
}

/** A slot read back: its ticket and record length, `'empty'` when never written, `'damaged'` when its CRC fails. */
export function readSlotHead(bytes: Buffer, at: number, slotBytes: number): { ticket: number; length: number } | 'empty' | 'damaged' {
  const ticket = bytes.readDoubleLE(at);
  const length = bytes.readUInt32LE(at + 8);
  const crc = bytes.readUInt32LE(at + 12);
  if (ticket === 0 && length === 0 && crc === 0) return 'empty';
  if (length > slotBytes || !Number.isSafeInteger(ticket) || ticket < 0) return 'damaged';
  return slotChecksum(bytes, at, length) === crc ? { ticket, length } : 'damaged';
}

function slotChecksum(bytes: Buffer, at: number, length: number): number {
  return crc32(bytes.subarray(at + SLOT_HEAD_BYTES, at + SLOT_HEAD_BYTES + length), crc32(bytes.subarray(at, at + 12)));
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
