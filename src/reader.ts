import { crc32 } from 'node:zlib';
import { openByteSource, type ByteSource } from './internal/byte-source.ts';
import { scanBlocks } from './internal/block-scanner.ts';
import { createCborDecoder } from './internal/cbor.ts';
import { decodeChunk } from './internal/chunk-decoder.ts';
import { FILE_MAGIC, FILE_PREFIX_BYTES, FORMAT_MAJOR, MAX_HEADER_BYTES } from './internal/file-format.ts';
import { fromFileEntries } from './internal/file-values.ts';
import { SnapshotFormatError } from './errors.ts';
import type { Snapshot, SnapshotCounters, SnapshotDamage, SnapshotMetadata, SnapshotRecord } from './types.ts';

export interface ReadOptions {
  /** Throw a `SnapshotFormatError` with code `DAMAGED` instead of returning intact records plus a damage report. */
  readonly strict?: boolean;
}

/** An open snapshot: its header, and its records read chunk by chunk. */
export interface SnapshotReader {
  readonly metadata: SnapshotMetadata;
  /** What was skipped so far; complete once {@link SnapshotReader.records} has finished. */
  readonly damage: readonly SnapshotDamage[];
  /** The records in file order (time order), one chunk in memory at a time. Closes the file when done. */
  records(): AsyncGenerator<SnapshotRecord>;
  close(): Promise<void>;
}

/**
 * Opens a snapshot file (or bytes) and reads its header. Throws `SnapshotFormatError` for a
 * file that is not a snapshot, of an unknown major version, or whose header is cut or damaged.
 */
export async function openSnapshot(source: string | Uint8Array, options: ReadOptions = {}): Promise<SnapshotReader> {
  const bytes = await openByteSource(source);
  try {
    const { metadata, end } = await readHeader(bytes);
    const damage: SnapshotDamage[] = [];
    return {
      metadata,
      damage,
      records: () => readRecords(bytes, end, damage, options),
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
  for await (const record of reader.records()) records.push(record);
  return { metadata: reader.metadata, records, damage: reader.damage.slice() };
}

/** The records of a snapshot one by one, for files too large to hold in memory. */
export async function* iterateSnapshot(source: string | Uint8Array, options: ReadOptions = {}): AsyncGenerator<SnapshotRecord> {
  const reader = await openSnapshot(source, options);
  yield* reader.records();
}

async function* readRecords(bytes: ByteSource, start: number, damage: SnapshotDamage[], options: ReadOptions): AsyncGenerator<SnapshotRecord> {
  const cbor = createCborDecoder();
  let chunks = 0;
  let records = 0;
  try {
    for await (const block of scanBlocks(bytes, start, damage)) {
      if (block.kind === 'end') {
        // Whole chunks cut out or repeated leave every block valid; only the totals tell.
        if (damage.length === 0 && (block.a !== chunks || block.b !== records)) {
          damage.push({ code: 'CHUNKS_MISSING', offset: block.offset, records: Math.max(0, block.b - records), message: `the end block counts ${block.a} chunks and ${block.b} records, the file holds ${chunks} and ${records}` });
        }
        break;
      }
      if (block.kind === 'other') continue;
      chunks++;
      let decoded: SnapshotRecord[];
      try {
        decoded = decodeChunk(block.payload, block.a, block.b, cbor);
      } catch (error) {
        damage.push({ code: 'CHUNK_UNREADABLE', offset: block.offset, records: block.b, message: `chunk passed its checksum but did not decode: ${error instanceof Error ? error.message : String(error)}` });
        continue;
      }
      records += decoded.length;
      yield* decoded;
    }
    if (options.strict && damage.length > 0) {
      throw new SnapshotFormatError('DAMAGED', `snapshot is damaged: ${damage.map((entry) => entry.message).join('; ')}`, damage[0]!.offset);
    }
  } finally {
    await bytes.close();
  }
}

async function readHeader(bytes: ByteSource): Promise<{ metadata: SnapshotMetadata; end: number }> {
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
  if (major !== FORMAT_MAJOR) throw new SnapshotFormatError('UNSUPPORTED_VERSION', `format version ${major}.${minor} is not supported (this reader knows ${FORMAT_MAJOR}.x)`, 8);
  let header: unknown;
  try {
    header = createCborDecoder().decode(rest.subarray(0, headerLength));
  } catch {
    throw new SnapshotFormatError('HEADER_CORRUPT', 'header does not decode', FILE_PREFIX_BYTES);
  }
  if (typeof header !== 'object' || header === null) throw new SnapshotFormatError('HEADER_CORRUPT', 'header is not a map', FILE_PREFIX_BYTES);
  return { metadata: toMetadata(header as Record<string, unknown>, major, minor), end };
}

function toMetadata(header: Record<string, unknown>, major: number, minor: number): SnapshotMetadata {
  const counters = (header.counters ?? {}) as Record<string, unknown>;
  const producer = (header.producer ?? {}) as Record<string, unknown>;
  return {
    formatVersion: { major, minor },
    service: String(header.service ?? ''),
    hostname: String(header.hostname ?? ''),
    pid: Number(header.pid ?? 0),
    reason: String(header.reason ?? ''),
    createdAt: new Date(String(header.createdAt ?? '')),
    resource: Array.isArray(header.resource) ? fromFileEntries(header.resource, []) : {},
    producer: { name: String(producer.name ?? ''), version: String(producer.version ?? '') },
    counters: Object.fromEntries(
      ['written', 'captured', 'overwritten', 'skipped', 'truncated', 'dropped'].map((key) => [key, Number(counters[key] ?? 0)]),
    ) as unknown as SnapshotCounters,
    records: Number(header.records ?? 0),
    chunks: Number(header.chunks ?? 0),
    ...(Array.isArray(header.cause) ? { cause: fromFileEntries(header.cause, []) } : {}),
  };
}
