import { crc32 } from 'node:zlib';
import { BLOCK_HEADER_BYTES, FILE_ID_BYTES, FILE_MAGIC, FILE_PREFIX_BYTES, FORMAT_MAJOR, MAX_HEADER_BYTES, RING_ID_BYTES } from '../format/file-format.ts';
import type { Snapshot, SnapshotCounters, SnapshotDamage, SnapshotMetadata, SnapshotRecord } from '../types.ts';
import { type FileBlock, scanBlocks } from './block-scanner.ts';
import { type ByteSource, openByteSource, readingAhead } from './byte-source.ts';
import { decodeHeader, entriesObject } from './cbor-cursor.ts';
import { ChunkBinding } from './chunk-binding.ts';
import { ChunkRecords, decodeChunk, decompressChunk } from './chunk-decoder.ts';
import { SnapshotFormatError } from './errors.ts';
import { headerBytes, headerInteger, headerMap, headerText } from './header-fields.ts';
import { RecordCursor } from './record-cursor.ts';

/** Options of readSnapshot and openSnapshot. */
export interface ReadOptions {
  /** Throw a `SnapshotFormatError` with code `DAMAGED` instead of returning intact records plus a damage report. */
  readonly strict?: boolean;
}

/** Options of reading an open snapshot's records chunk by chunk. */
export interface ChunkOptions {
  /**
   * At most this many records per array. A chunk is then checked whole before its first array
   * (so it is still either read whole or reported as damaged whole) and decoded one array at a
   * time, so fewer records are alive at once: for a caller that is done with each array before
   * it asks for the next, this saves memory and garbage collection time.
   */
  readonly maxRecords?: number;
}

/** An open snapshot: its header, and its records read chunk by chunk. */
export interface SnapshotReader {
  readonly metadata: SnapshotMetadata;
  /** What was skipped so far; complete once {@link SnapshotReader.records} (or `chunks`, or `last`) has finished. */
  readonly damage: readonly SnapshotDamage[];
  /** The records in file order (time order), a few hundred in memory at a time. Closes the file when done. */
  records(): AsyncGenerator<SnapshotRecord>;
  /**
   * The records in file order, one array per intact chunk (up to a few thousand records each),
   * or per `maxRecords` of one. What {@link SnapshotReader.records} yields one by one, without
   * an async step per record. Closes the file when done. Throws a `RangeError` at once for a
   * `maxRecords` below 1.
   */
  chunks(options?: ChunkOptions): AsyncGenerator<SnapshotRecord[]>;
  /**
   * The last `count` records in file order, decoding only the chunks that hold them. Every block
   * is still read and checksummed, so `damage` reports what `records()` would, except a chunk
   * that passes its checksum but does not decode before the ones needed. Closes the file.
   */
  last(count: number): Promise<SnapshotRecord[]>;
  /**
   * The low-level way to read the records, field by field without record objects: each intact
   * chunk's {@link RecordCursor} is handed to `read`, in file order, and what `read` returns is
   * yielded. A chunk is read whole or reported whole: when its bytes turn out malformed partway,
   * the cursor throws a `SnapshotFormatError` with code `CHUNK_UNREADABLE`; `read` lets it
   * through (and undoes whatever it did with the chunk's earlier records), and the chunk goes
   * into `damage`, as `records()` would report it. Any other error from `read` ends the reading
   * and reaches the caller. The cursor may be read on after `read` returns (a chunk read in
   * parts after `check()`), but what it throws then is the caller's. Closes the file when done.
   */
  cursors<T>(read: (cursor: RecordCursor) => T): AsyncGenerator<T>;
  close(): Promise<void>;
}

/**
 * Opens a snapshot file (or bytes) and reads its header. Throws `SnapshotFormatError` for a
 * file that is not a snapshot, of an unknown major version, or whose header is cut or damaged.
 */
export async function openSnapshot(source: string | Uint8Array, options: ReadOptions = {}): Promise<SnapshotReader> {
  const bytes = await openByteSource(source);
  try {
    const { metadata, body } = await readHeader(bytes);
    const damage: SnapshotDamage[] = [];
    const chunks = (chunkOptions: ChunkOptions = {}) => readChunks(bytes, body, damage, options, sliceSize(chunkOptions.maxRecords));
    return {
      metadata,
      damage,
      chunks,
      records: () => eachRecord(chunks({ maxRecords: RECORDS_PER_STEP })),
      last: (count) => readLast(bytes, body, damage, options, count),
      cursors: (read) => openChunks(bytes, body, damage, options, read),
      close: () => bytes.close(),
    };
  } catch (error) {
    await bytes.close();
    throw error;
  }
}

/** Reads a whole snapshot. Damaged chunks are skipped and listed in `damage` (unless `strict`). */
export async function readSnapshot(source: string | Uint8Array, options: ReadOptions = {}): Promise<Snapshot> {
  const reader = await openSnapshot(source, options);
  const records: SnapshotRecord[] = [];
  for await (const chunk of reader.chunks()) for (const record of chunk) records.push(record);
  return { metadata: reader.metadata, records, damage: reader.damage.slice() };
}

/** The records of a snapshot one by one, for files too large to hold in memory. */
export async function* iterateSnapshot(source: string | Uint8Array, options: ReadOptions = {}): AsyncGenerator<SnapshotRecord> {
  const reader = await openSnapshot(source, options);
  yield* reader.records();
}

/** `maxRecords` as given to chunks(): a whole number of at least 1, or a whole chunk when absent. */
function sliceSize(maxRecords: number | undefined): number {
  if (maxRecords === undefined) return Infinity;
  if (!(maxRecords >= 1)) throw new RangeError(`maxRecords must be at least 1, got ${maxRecords}`);
  return Math.floor(maxRecords);
}

/** Records decoded at a time for records() and iterateSnapshot(): fewer than a chunk, so they die young. */
const RECORDS_PER_STEP = 256;

async function* eachRecord(chunks: AsyncGenerator<SnapshotRecord[]>): AsyncGenerator<SnapshotRecord> {
  for await (const chunk of chunks) yield* chunk;
}

async function* readChunks(
  source: ByteSource,
  body: FileBody,
  damage: SnapshotDamage[],
  options: ReadOptions,
  maxRecords: number,
): AsyncGenerator<SnapshotRecord[]> {
  // Read whole, the first next() decodes the chunk; read in slices, the constructor has checked
  // it whole, so that no later slice can fail.
  const open = (cursor: RecordCursor) => {
    const chunk = new ChunkRecords(cursor, maxRecords);
    return { chunk, first: chunk.next() };
  };
  for await (const { chunk, first } of openChunks(source, body, damage, options, open)) {
    yield first;
    while (chunk.remaining > 0) yield chunk.next();
  }
}

/** The intact chunks, each read by `read` from its cursor; a chunk that does not decode is damage. */
async function* openChunks<T>(
  source: ByteSource,
  body: FileBody,
  damage: SnapshotDamage[],
  options: ReadOptions,
  read: (cursor: RecordCursor) => T,
): AsyncGenerator<T> {
  for await (const block of readEncodedChunks(source, body, damage, options)) {
    let opened: T;
    try {
      opened = read(new RecordCursor(decompressChunk(block.payload, block.a, block.b, block.offset, block.coded), block.b, block.offset));
    } catch (error) {
      if (!isUnreadableChunk(error)) throw error;
      damage.push(unreadable(block, error));
      continue;
    }
    yield opened;
  }
}

/** The checksummed chunk blocks, undecoded; closes the file when done. */
async function* readEncodedChunks(source: ByteSource, body: FileBody, damage: SnapshotDamage[], options: ReadOptions): AsyncGenerator<FileBlock> {
  try {
    yield* chunkBlocks(source, body, damage);
    throwIfStrict(damage, options);
  } finally {
    await source.close();
  }
}

/** Where a file's blocks start, and (from format 1.1) the id its index blocks must name. */
interface FileBody {
  readonly start: number;
  readonly fileId: Buffer | undefined;
}

/**
 * The intact chunk blocks in file order, each in its place when the file binds chunks to places
 * (format 1.1); at the end block, its totals are checked against them.
 */
async function* chunkBlocks(source: ByteSource, body: FileBody, damage: SnapshotDamage[]): AsyncGenerator<FileBlock> {
  // Records are counted from the block headers: decodeChunk holds every chunk to its count.
  const tally = { chunks: 0, records: 0 };
  const binding = body.fileId === undefined ? undefined : new ChunkBinding(body.fileId, damage);
  for await (const block of scanBlocks(readingAhead(source), body.start, damage)) {
    if (block.kind === 'end') {
      binding?.end(block);
      checkTotals(block, tally, damage);
      return;
    }
    if (block.kind === 'index') binding?.index(block);
    if (block.kind !== 'chunk' || (binding !== undefined && !binding.chunk(block))) continue;
    tally.chunks++;
    tally.records += block.b;
    yield block;
  }
}

/** A chunk block as `readLast` keeps it: the payload only while it may still be needed. */
interface HeldChunk {
  readonly offset: number;
  readonly a: number;
  readonly b: number;
  readonly coded: boolean;
  readonly length: number;
  payload: Buffer | undefined;
}

async function readLast(source: ByteSource, body: FileBody, damage: SnapshotDamage[], options: ReadOptions, count: number): Promise<SnapshotRecord[]> {
  const wanted = Math.max(0, Math.floor(count));
  const held: HeldChunk[] = [];
  try {
    // Scan: checksum every block, keep the payloads of the last chunks holding `wanted` records.
    let firstHeld = 0;
    let heldRecords = 0;
    for await (const block of chunkBlocks(source, body, damage)) {
      held.push({ offset: block.offset, a: block.a, b: block.b, coded: block.coded, length: block.payload.length, payload: block.payload });
      heldRecords += block.b;
      while (firstHeld < held.length && heldRecords - held[firstHeld]!.b >= wanted) {
        heldRecords -= held[firstHeld]!.b;
        held[firstHeld++]!.payload = undefined;
      }
    }
    // Decode from the end. A chunk that does not decode is reported and an earlier one read again.
    const decoded: SnapshotRecord[][] = [];
    let have = 0;
    for (let i = held.length - 1; i >= 0 && have < wanted; i--) {
      const chunk = held[i]!;
      const payload = chunk.payload ?? (await source.read(chunk.offset + BLOCK_HEADER_BYTES, chunk.length));
      const records = decodeOrReport(payload, chunk, damage);
      if (records === undefined) continue;
      decoded.push(records);
      have += records.length;
    }
    throwIfStrict(damage, options);
    const out = decoded.reverse().flat();
    return out.slice(Math.max(0, out.length - wanted));
  } finally {
    await source.close();
  }
}

function decodeOrReport(
  payload: Buffer,
  block: { readonly offset: number; readonly a: number; readonly b: number; readonly coded: boolean },
  damage: SnapshotDamage[],
): SnapshotRecord[] | undefined {
  try {
    return decodeChunk(payload, block.a, block.b, block.offset, block.coded);
  } catch (error) {
    if (!isUnreadableChunk(error)) throw error;
    damage.push(unreadable(block, error));
    return undefined;
  }
}

function isUnreadableChunk(error: unknown): error is SnapshotFormatError {
  return error instanceof SnapshotFormatError && error.code === 'CHUNK_UNREADABLE';
}

function unreadable(block: { readonly offset: number; readonly b: number }, error: SnapshotFormatError): SnapshotDamage {
  return { code: 'CHUNK_UNREADABLE', offset: block.offset, records: block.b, message: `chunk passed its checksum but did not decode: ${error.reason}` };
}

/** Whole chunks cut out or repeated leave every block valid; only the end block's totals tell. */
function checkTotals(end: FileBlock, tally: { readonly chunks: number; readonly records: number }, damage: SnapshotDamage[]): void {
  if (damage.length === 0 && (end.a !== tally.chunks || end.b !== tally.records)) {
    damage.push({
      code: 'CHUNKS_MISSING',
      offset: end.offset,
      records: Math.max(0, end.b - tally.records),
      message: `the end block counts ${end.a} chunks and ${end.b} records, the file holds ${tally.chunks} and ${tally.records}`,
    });
  }
}

function throwIfStrict(damage: readonly SnapshotDamage[], options: ReadOptions): void {
  if (options.strict && damage.length > 0) {
    throw new SnapshotFormatError('DAMAGED', `snapshot is damaged: ${damage.map((entry) => entry.message).join('; ')}`, damage[0]!.offset);
  }
}

async function readHeader(bytes: ByteSource): Promise<{ metadata: SnapshotMetadata; body: FileBody }> {
  const prefix = await bytes.read(0, FILE_PREFIX_BYTES);
  const magicLength = Math.min(prefix.length, FILE_MAGIC.length);
  if (!prefix.subarray(0, magicLength).equals(FILE_MAGIC.subarray(0, magicLength)) || bytes.size === 0) {
    throw new SnapshotFormatError('NOT_A_SNAPSHOT', 'not a ttlog snapshot (bad magic bytes)');
  }
  if (prefix.length < FILE_PREFIX_BYTES) throw new SnapshotFormatError('TRUNCATED', 'file ends inside the snapshot prefix', prefix.length);
  const major = prefix.readUInt16LE(8);
  const minor = prefix.readUInt16LE(10);
  const headerLength = prefix.readUInt32LE(12);
  if (headerLength > MAX_HEADER_BYTES) throw new SnapshotFormatError('HEADER_CORRUPT', `header length ${headerLength} is implausible`, 12);
  const end = FILE_PREFIX_BYTES + headerLength + 4;
  if (bytes.size < end) throw new SnapshotFormatError('TRUNCATED', 'file ends inside the header', bytes.size);
  const rest = await bytes.read(FILE_PREFIX_BYTES, headerLength + 4);
  const checksum = crc32(rest.subarray(0, headerLength), crc32(prefix.subarray(8, FILE_PREFIX_BYTES)));
  if (checksum !== rest.readUInt32LE(headerLength)) throw new SnapshotFormatError('HEADER_CORRUPT', 'header checksum mismatch', FILE_PREFIX_BYTES);
  if (major !== FORMAT_MAJOR)
    throw new SnapshotFormatError('UNSUPPORTED_VERSION', `format version ${major}.${minor} is not supported (this reader knows ${FORMAT_MAJOR}.x)`, 8);
  let header: unknown;
  try {
    header = decodeHeader(rest.subarray(0, headerLength));
  } catch {
    throw new SnapshotFormatError('HEADER_CORRUPT', 'header does not decode', FILE_PREFIX_BYTES);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header) || header instanceof Uint8Array) {
    throw new SnapshotFormatError('HEADER_CORRUPT', 'header is not a map', FILE_PREFIX_BYTES);
  }
  const fields = header as Record<string, unknown>;
  return { metadata: toMetadata(fields, major, minor), body: { start: end, fileId: fileIdOf(fields, minor) } };
}

/** From format 1.1 the header names the file, and every chunk is bound to that name and its place. */
function fileIdOf(header: Record<string, unknown>, minor: number): Buffer | undefined {
  if (minor < 1) return undefined;
  const fileId = headerBytes(header.fileId, FILE_ID_BYTES);
  if (fileId === undefined)
    throw new SnapshotFormatError('HEADER_CORRUPT', `a format 1.${minor} header without a ${FILE_ID_BYTES}-byte fileId`, FILE_PREFIX_BYTES);
  return fileId;
}

function toMetadata(header: Record<string, unknown>, major: number, minor: number): SnapshotMetadata {
  const producer = headerMap(header.producer);
  return {
    formatVersion: { major, minor },
    service: headerText(header.service, 'service'),
    hostname: headerText(header.hostname, 'hostname'),
    pid: headerInteger(header.pid, 'pid'),
    ...ringOf(header.ring),
    reason: headerText(header.reason, 'reason'),
    createdAt: new Date(headerText(header.createdAt, 'createdAt')),
    resource: Array.isArray(header.resource) ? entriesObject(header.resource, []) : {},
    producer: { name: headerText(producer.name, 'producer.name'), version: headerText(producer.version, 'producer.version') },
    counters: toCounters(header.counters),
    // Files without per-lane counters (a ring with one lane) get the totals as lane 0.
    lanes: Array.isArray(header.lanes)
      ? header.lanes.map((lane) => ({ ...toCounters(lane), minSeverity: headerInteger(headerMap(lane).minSeverity, 'lanes.minSeverity') }))
      : [{ ...toCounters(header.counters), minSeverity: 0 }],
    records: headerInteger(header.records, 'records'),
    chunks: headerInteger(header.chunks, 'chunks'),
    ...(Array.isArray(header.cause) ? { cause: entriesObject(header.cause, []) } : {}),
  };
}

/** `ring` as hex text when the header holds a 16-byte identity; files without one (older writers) get none, so nothing is merged on a guess. */
function ringOf(value: unknown): { ring?: string } {
  return value instanceof Uint8Array && value.length === RING_ID_BYTES ? { ring: Buffer.from(value).toString('hex') } : {};
}

const COUNTER_KEYS = ['written', 'captured', 'overwritten', 'skipped', 'truncated', 'dropped'] as const;

function toCounters(value: unknown): SnapshotCounters {
  const counters = headerMap(value);
  return Object.fromEntries(COUNTER_KEYS.map((key) => [key, headerInteger(counters[key], `counters.${key}`)])) as unknown as SnapshotCounters;
}
