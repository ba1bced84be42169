/**
 * Snapshot cost: fill a ring with N records through a real LoggerProvider, time
 * `processor.snapshot()` (capture, CBOR chunks compressed with the exporter's codec, atomic write
 * with fsync) and measure the file; then read it back and check every record against what was
 * logged. The compared sizes are also written with the exporter's other codecs. A snapshot does not
 * drain the ring, so the same records are written several times: the first write (cold code) is
 * reported apart from the median of the rest. Run it first in a process for the cold figure.
 * The same records as NDJSON + gzip and as OTLP protobuf are in snapshot-alternatives.ts.
 */
import * as nodeFs from 'node:fs';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import * as zlib from 'node:zlib';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { readSnapshot, type Snapshot, type SnapshotCodec, SnapshotExporter, type SnapshotFileSystem, TTLogProcessor } from '../src/index.ts';
import { median } from './measure.ts';
import { attributesOf, MESSAGE, requestIdOf, SCOPE_NAME, SCOPE_VERSION, SEVERITY_NUMBER, SEVERITY_TEXT } from './record.ts';
import { type AlternativesResult, measureAlternatives } from './snapshot-alternatives.ts';

export interface SnapshotPlan {
  /** Sizes measured, in this order (the first finds the snapshot code cold). */
  readonly sizes: readonly number[];
  /** Sizes also written as NDJSON + gzip and OTLP protobuf (snapshot-alternatives.ts). */
  readonly compareSizes: readonly number[];
  readonly maxRecordBytes: number;
  /**
   * Snapshots written of the same ring. The first is the process's first snapshot (its code not
   * yet optimised by the JIT, as for a crash snapshot in a service that never took one) and is
   * reported apart; the median is over the others.
   */
  readonly repeats: number;
  /** Every this-many-th record is compared field by field (all are checked for their id). */
  readonly sampleEvery: number;
  /**
   * The exporter's other codecs, each written at the compared sizes after the LZ4 default
   * (`zstd` only where this Node's `node:zlib` has it).
   */
  readonly codecs: readonly SnapshotCodec[];
}

/** One codec's snapshot of the same records: what the alternatives table compares. */
export interface CodecResult {
  readonly codec: SnapshotCodec;
  readonly fileBytes: number;
  readonly bytesPerRecord: number;
  readonly medianWriteMs: number;
  /** CPU time of the process during each write. */
  readonly cpuMs: number[];
  readonly readMs: number;
}

export interface SnapshotResult {
  readonly records: number;
  readonly capacity: number;
  readonly maxRecordBytes: number;
  /** The exporter's codec: the default, `lz4`. */
  readonly codec: SnapshotCodec;
  /** Every write, in order; the first is the cold one. */
  readonly writeMs: number[];
  readonly firstWriteMs: number;
  /** Median of the writes after the first. */
  readonly medianWriteMs: number;
  /** CPU time of the process (all threads) during each write. */
  readonly cpuMs: number[];
  /** Of each write time: waiting for write(2) and for fsync(2) (file and directory), through the exporter's file-system hook. */
  readonly ioWriteMs: number[];
  readonly fsyncMs: number[];
  readonly fileBytes: number;
  readonly bytesPerRecord: number;
  readonly readMs: number;
  /** Records compared field by field. */
  readonly sampled: number;
  readonly check: string;
  /** The same records as NDJSON + gzip and as OTLP protobuf, when this size is compared. */
  readonly alternatives?: AlternativesResult;
  /** The same records written with the plan's other codecs, when this size is compared. */
  readonly codecs?: readonly CodecResult[];
}

const collectGarbage = (globalThis as { gc?: () => void }).gc;

/** Ring capacity for `records`: the next power of two, so none is overwritten. */
export function capacityFor(records: number): number {
  return 2 ** Math.ceil(Math.log2(records));
}

interface SizePlan {
  readonly records: number;
  readonly capacity: number;
  readonly maxRecordBytes: number;
  readonly repeats: number;
  readonly sampleEvery: number;
  readonly codec: SnapshotCodec;
}

/** Whether this Node can write `codec` (the exporter writes `deflate` instead of a `zstd` it lacks). */
const available = (codec: SnapshotCodec): boolean => codec !== 'zstd' || typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === 'function';

export async function measureSnapshots(plan: SnapshotPlan): Promise<SnapshotResult[]> {
  const results: SnapshotResult[] = [];
  for (const records of plan.sizes) {
    const sizePlan = { records, capacity: capacityFor(records), maxRecordBytes: plan.maxRecordBytes, repeats: plan.repeats, sampleEvery: plan.sampleEvery };
    const result = await measureSnapshot({ ...sizePlan, codec: 'lz4' });
    if (!plan.compareSizes.includes(records)) {
      results.push(result);
      continue;
    }
    const codecs: CodecResult[] = [];
    for (const codec of plan.codecs.filter(available)) {
      const other = await measureSnapshot({ ...sizePlan, codec });
      codecs.push({
        codec,
        fileBytes: other.fileBytes,
        bytesPerRecord: other.bytesPerRecord,
        medianWriteMs: other.medianWriteMs,
        cpuMs: other.cpuMs,
        readMs: other.readMs,
      });
    }
    results.push({ ...result, alternatives: measureAlternatives(records), codecs });
  }
  results.sort((x, y) => x.records - y.records);
  return results;
}

async function measureSnapshot(plan: SizePlan): Promise<SnapshotResult> {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-bench-'));
  try {
    const io = timedFileSystem();
    const processor = new TTLogProcessor({
      exporter: new SnapshotExporter({ directory, fileSystem: io.fileSystem, codec: plan.codec }),
      capacity: plan.capacity,
      maxRecordBytes: plan.maxRecordBytes,
    });
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'ttlog-bench' }),
      processors: [processor as never],
    });
    const logger = provider.getLogger(SCOPE_NAME, SCOPE_VERSION);
    const loggedFrom = BigInt(Date.now()) * 1_000_000n;
    for (let i = 0; i < plan.records; i++) {
      logger.emit({ severityNumber: SEVERITY_NUMBER, severityText: SEVERITY_TEXT, body: MESSAGE, attributes: attributesOf(i) });
    }
    const loggedTo = BigInt(Date.now()) * 1_000_000n;

    const writeMs: number[] = [];
    const ioWriteMs: number[] = [];
    const fsyncMs: number[] = [];
    const cpuMs: number[] = [];
    let path = '';
    for (let repeat = 0; repeat < plan.repeats; repeat++) {
      if (path !== '') rmSync(path);
      // No forced GC here: a full GC shrinks the young generation the encoder allocates in, and
      // a write right after one took 5–15% longer than one right after logging, as in a service.
      io.spent.writeMs = 0;
      io.spent.fsyncMs = 0;
      const cpuStart = process.cpuUsage();
      const start = process.hrtime.bigint();
      path = await processor.snapshot('bench');
      writeMs.push(Number(process.hrtime.bigint() - start) / 1e6);
      const cpu = process.cpuUsage(cpuStart);
      cpuMs.push((cpu.user + cpu.system) / 1000);
      ioWriteMs.push(io.spent.writeMs);
      fsyncMs.push(io.spent.fsyncMs);
    }
    const fileBytes = statSync(path).size;

    collectGarbage?.();
    const readStart = process.hrtime.bigint();
    const snapshot = await readSnapshot(path);
    const readMs = Number(process.hrtime.bigint() - readStart) / 1e6;
    const sampled = verify(snapshot, plan, loggedFrom, loggedTo);
    const records = snapshot.records.length;
    return {
      records,
      capacity: plan.capacity,
      maxRecordBytes: plan.maxRecordBytes,
      codec: plan.codec,
      writeMs,
      firstWriteMs: writeMs[0]!,
      medianWriteMs: median(writeMs.length > 1 ? writeMs.slice(1) : writeMs),
      cpuMs,
      ioWriteMs,
      fsyncMs,
      fileBytes,
      bytesPerRecord: fileBytes / records,
      readMs,
      sampled,
      check: `readSnapshot returned ${records.toLocaleString('en-US')} records, the header's counters match, every record's request id is the one logged and ${sampled.toLocaleString('en-US')} records are equal field by field`,
    };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** Throws unless the file holds exactly the records logged; returns how many were compared in full. */
function verify(snapshot: Snapshot, plan: SizePlan, loggedFrom: bigint, loggedTo: bigint): number {
  const { metadata, records, damage } = snapshot;
  const fail = (why: string): never => {
    throw new Error(`snapshot read-back failed: ${why}`);
  };
  if (damage.length > 0) fail(`${damage.length} damaged parts: ${damage[0]!.message}`);
  if (records.length !== plan.records || metadata.records !== plan.records)
    fail(`${records.length} records (header says ${metadata.records}), expected ${plan.records}`);
  const { written, captured, overwritten, skipped, truncated, dropped } = metadata.counters;
  if (written !== plan.records || captured !== plan.records || overwritten + skipped + truncated + dropped !== 0) {
    fail(`counters ${JSON.stringify(metadata.counters)}`);
  }
  const seen = new Uint8Array(plan.records);
  let sampled = 0;
  for (const record of records) {
    const index = record.seq;
    if (!(index >= 0 && index < plan.records) || seen[index] === 1) fail(`seq ${index} is out of range or repeated`);
    seen[index] = 1;
    if (record.attributes['request.id'] !== requestIdOf(index)) fail(`record ${index} has request id ${String(record.attributes['request.id'])}`);
    if (index % plan.sampleEvery !== 0 && index !== plan.records - 1) continue;
    sampled++;
    const matches =
      record.body === MESSAGE &&
      record.severityNumber === SEVERITY_NUMBER &&
      record.severityText === SEVERITY_TEXT &&
      record.scope.name === SCOPE_NAME &&
      record.scope.version === SCOPE_VERSION &&
      !record.truncated &&
      record.timestamp >= loggedFrom &&
      record.timestamp <= loggedTo &&
      isDeepStrictEqual(record.attributes, attributesOf(index));
    if (!matches)
      fail(
        `record ${index} differs from what was logged: ${JSON.stringify(record, (_, value: unknown) => (typeof value === 'bigint' ? String(value) : value))}`,
      );
  }
  return sampled;
}

/** `node:fs` with the time spent in file writes and fsyncs added up, to split I/O from encoding. */
function timedFileSystem(): { fileSystem: SnapshotFileSystem; spent: { writeMs: number; fsyncMs: number } } {
  const spent = { writeMs: 0, fsyncMs: 0 };
  const timed = async <T>(key: 'writeMs' | 'fsyncMs', work: Promise<T>): Promise<T> => {
    const start = process.hrtime.bigint();
    try {
      return await work;
    } finally {
      spent[key] += Number(process.hrtime.bigint() - start) / 1e6;
    }
  };
  const fileSystem: SnapshotFileSystem = {
    ...nodeFs,
    promises: {
      mkdir: (path, options) => nodeFs.promises.mkdir(path, options),
      stat: (path) => nodeFs.promises.stat(path),
      link: (existing, target) => nodeFs.promises.link(existing, target),
      rename: (from, to) => nodeFs.promises.rename(from, to),
      unlink: (path) => nodeFs.promises.unlink(path),
      open: async (path, flags, mode) => {
        const handle = await nodeFs.promises.open(path, flags, mode);
        return {
          write: (data, offset, length) => timed('writeMs', handle.write(data, offset, length)),
          sync: () => timed('fsyncMs', handle.sync()),
          close: () => handle.close(),
        };
      },
    },
  };
  return { fileSystem, spent };
}
