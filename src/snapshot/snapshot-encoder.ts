/**
 * A ring capture → the blocks of a snapshot file. Records are ordered by time (ticket order
 * breaks ties), cut into self-contained chunks, each CBOR-encoded, compressed with the writer's
 * codec (LZ4 unless another was chosen) and checksummed. `chunkBlocks` is a generator so the
 * async path can yield to the event loop between chunks while the fatal path (crash capture) runs
 * it straight through.
 */
import { randomBytes } from 'node:crypto';
import { createCborDecoder, createCborEncoder } from '../format/cbor.ts';
import {
  type BlockPosition,
  CHUNK_MAX_RAW_BYTES,
  CHUNK_MAX_RECORDS,
  type ChunkCodecName,
  CODED_CHUNK_MAGIC,
  END_MAGIC,
  encodeFilePrefix,
  encodeIndexedBlock,
  FILE_ID_BYTES,
} from '../format/file-format.ts';
import { toFileEntries } from '../format/file-values.ts';
import { type RingViews, ringId } from '../record/ring-layout.ts';
import { CborWriter } from './cbor-writer.ts';
import { compressChunk } from './chunk-codec.ts';
import { ChunkStrings } from './chunk-strings.ts';
import { RecordDecoder, type RecordTime, readRecordOrder, readRecordTime } from './record-decoder.ts';
import type { LaneCounters, RingCapture, RingCounters } from './ring-capture.ts';

/** What the file header says besides the counters (docs/format.md, "Header"). */
export interface SnapshotDescription {
  readonly service: string;
  readonly hostname: string;
  readonly pid: number;
  readonly reason: string;
  readonly createdAt: Date;
  readonly resource: Readonly<Record<string, unknown>>;
  readonly producer: { readonly name: string; readonly version: string };
  /** Why a crash snapshot was taken (exception, signal, exit code). */
  readonly cause?: Readonly<Record<string, unknown>> | undefined;
}

/** The chunk blocks of a snapshot, then (once they are done) its counters. */
export class SnapshotEncoder {
  private readonly cbor = createCborEncoder();
  private readonly strings: ChunkStrings;
  private readonly decoder: RecordDecoder;
  /** The current chunk's records as CBOR, and the whole chunk; reused from chunk to chunk. */
  private readonly records = new CborWriter();
  private readonly chunk = new CborWriter();
  /** Records that did not decode, per lane: they move from captured to skipped. */
  private readonly unreadable: number[] = [];
  /** Names this file in its header and index blocks, so that a chunk of another file is told apart. */
  private readonly fileId = randomBytes(FILE_ID_BYTES);
  private chunkCount = 0;
  private recordCount = 0;
  /** The ring's identity, so a reader can tell a record seen in two snapshots of this ring (docs/format.md, `ring`). */
  private readonly ring: Buffer;

  constructor(
    ring: RingViews,
    private readonly capture: RingCapture,
    /** How each chunk is compressed (chunk-codec.ts); the caller has checked that this platform has it. */
    private readonly codec: ChunkCodecName = 'lz4',
  ) {
    this.ring = ringId(ring);
    this.strings = new ChunkStrings(ring, createCborDecoder());
    this.decoder = new RecordDecoder(this.strings);
  }

  /** Yields one encoded chunk block at a time, in time order. */
  *chunkBlocks(): Generator<Buffer> {
    const { capture } = this;
    const order = timeOrder(capture);
    let index = 0;
    while (index < order.length) {
      const first = order[index]!;
      const base = readRecordTime(capture.bytes, capture.starts[first]!, { seconds: 0, nanos: 0 });
      const previous: RecordTime = { seconds: base.seconds, nanos: base.nanos };
      const records = this.records;
      records.reset();
      let count = 0;
      let rawBytes = 0;
      this.strings.reset();
      while (index < order.length && count < CHUNK_MAX_RECORDS && rawBytes < CHUNK_MAX_RAW_BYTES) {
        const at = order[index++]!;
        try {
          this.decoder.decode(capture.bytes, capture.starts[at]!, capture.lengths[at]!, capture.tickets[at]!, capture.lanes[at]!, previous, records);
          count++;
          rawBytes += capture.lengths[at]!;
        } catch {
          // A slot record this version cannot decode is accounted as skipped, never guessed at.
          this.unreadable[capture.lanes[at]!] = (this.unreadable[capture.lanes[at]!] ?? 0) + 1;
        }
      }
      if (count === 0) continue;
      const raw = this.chunkCbor(base, count);
      const block = encodeIndexedBlock(this.nextPosition(), CODED_CHUNK_MAGIC, raw.length, count, compressChunk(this.codec, raw));
      this.chunkCount++;
      this.recordCount += count;
      yield block;
    }
  }

  /** The chunk array [baseSeconds, baseNanos, strings, scopes, records] around the `count` records written so far. */
  private chunkCbor(base: RecordTime, count: number): Buffer {
    const chunk = this.chunk;
    chunk.reset();
    chunk.array(5);
    chunk.number(base.seconds);
    chunk.number(base.nanos);
    chunk.array(this.strings.strings.length);
    for (const text of this.strings.strings) chunk.text(text);
    // A few scopes per chunk, decoded from the intern table: cbor-x writes them.
    chunk.raw(this.cbor.encode(this.strings.scopes));
    chunk.array(count);
    chunk.raw(this.records.bytes.subarray(0, this.records.length));
    return chunk.bytes.subarray(0, chunk.length);
  }

  /** The counters after {@link chunkBlocks} has run: unreadable records move to skipped. */
  counters(): RingCounters {
    return moveUnreadable(
      this.capture.counters,
      this.unreadable.reduce((sum, count) => sum + count, 0),
    );
  }

  /** Per-lane counters after {@link chunkBlocks} has run. */
  laneCounters(): LaneCounters[] {
    return this.capture.laneCounters.map((counters, lane) => ({ ...moveUnreadable(counters, this.unreadable[lane] ?? 0), minSeverity: counters.minSeverity }));
  }

  /** The file prefix (magic, version, header); call after the chunks are done. */
  filePrefix(description: SnapshotDescription): Buffer {
    const header = {
      service: description.service,
      hostname: description.hostname,
      pid: description.pid,
      ring: this.ring,
      reason: description.reason,
      createdAt: description.createdAt.toISOString(),
      resource: toFileEntries(description.resource),
      producer: description.producer,
      counters: this.counters(),
      ...(this.capture.laneCounters.length > 1 ? { lanes: this.laneCounters() } : {}),
      records: this.recordCount,
      chunks: this.chunkCount,
      fileId: this.fileId,
      ...(description.cause === undefined ? {} : { cause: toFileEntries(description.cause) }),
    };
    return encodeFilePrefix(this.cbor.encode(header));
  }

  /** The end block, which lets a reader tell a complete file from a cut one. */
  endBlock(): Buffer {
    return encodeIndexedBlock(this.nextPosition(), END_MAGIC, this.chunkCount, this.recordCount, new Uint8Array(0));
  }

  /** Where the next chunk (or the end block) goes, for its index block. */
  private nextPosition(): BlockPosition {
    return { fileId: this.fileId, index: this.chunkCount, recordsBefore: this.recordCount };
  }
}

/**
 * Capture indexes sorted by time, then emission order (records with equal timestamps, common at
 * the SDK's millisecond resolution, keep the order they were logged in across lanes and threads).
 * Usually already sorted, which is checked first.
 */
function timeOrder(capture: RingCapture): Uint32Array {
  const { count, bytes, starts } = capture;
  const seconds = new Float64Array(count);
  const nanos = new Uint32Array(count);
  const emitted = new Int32Array(count);
  const time: RecordTime = { seconds: 0, nanos: 0 };
  let sorted = true;
  for (let i = 0; i < count; i++) {
    readRecordTime(bytes, starts[i]!, time);
    seconds[i] = time.seconds;
    nanos[i] = time.nanos;
    emitted[i] = readRecordOrder(bytes, starts[i]!);
    if (i > 0 && compare(seconds, nanos, emitted, i - 1, i) > 0) sorted = false;
  }
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  if (sorted) return order;
  return order.sort((a, b) => compare(seconds, nanos, emitted, a, b));
}

function compare(seconds: Float64Array, nanos: Uint32Array, emitted: Int32Array, a: number, b: number): number {
  return seconds[a]! - seconds[b]! || nanos[a]! - nanos[b]! || (emitted[a]! - emitted[b]!) | 0;
}

function moveUnreadable(counters: RingCounters, unreadable: number): RingCounters {
  return { ...counters, captured: counters.captured - unreadable, skipped: counters.skipped + unreadable };
}
