/** The results of one run as tables for the terminal and as docs/benchmarks.md. */

import { CONCURRENT_CHILDREN } from '../spec/persist/fixtures/persist-harness.ts';
import type { SnapshotCodec } from '../src/index.ts';
import type { BurstResult } from './batch-burst.ts';
import type { ConcurrencyPlan, ConcurrencyResult } from './concurrency.ts';
import type { Environment } from './environment.ts';
import type { LatencyPlan, LatencyResult, LatencySummary } from './latency.ts';
import type { SamplingPlan, ThroughputResult } from './measure.ts';
import type { MemoryCell, MemoryPlan, MemoryResult } from './memory.ts';
import type { PersistPlan, PersistResult } from './persist-cost.ts';
import { bucketRange, KILL_AFTER_MS, type RecoveryPlan, type RecoveryResult } from './persist-recovery.ts';
import type { ProfileSizes } from './profile.ts';
import type { RecorderDelayPlan, RecorderDelayResult } from './recorder-delay.ts';
import type { SnapshotPlan, SnapshotResult } from './snapshot.ts';
import { millions, type TargetOutcome } from './targets.ts';

/** Everything one run produced; written as JSON to bench/results/. */
export interface BenchResults {
  readonly mode: 'full' | 'quick';
  readonly environment: Environment;
  readonly loadAverageAtEnd: number;
  readonly plan: {
    readonly throughput: SamplingPlan;
    readonly latency: LatencyPlan;
    readonly concurrency: ConcurrencyPlan;
    readonly snapshot: SnapshotPlan;
    readonly memory: MemoryPlan;
    readonly recorder: RecorderDelayPlan;
    readonly persist: PersistPlan;
    readonly recovery: RecoveryPlan;
    readonly profile: ProfileSizes | undefined;
  };
  readonly throughput: ThroughputResult[];
  /** The batch processor given a burst with no event-loop turn. */
  readonly batchBurst: BurstResult;
  readonly latency: LatencyResult;
  readonly concurrency: ConcurrencyResult;
  readonly snapshots: SnapshotResult[];
  readonly memory: MemoryResult;
  /** The main thread's event-loop delay while snapshots are written, with the recorder thread and without. */
  readonly recorder: RecorderDelayResult;
  /** What `persist` costs the emitting thread and the persisting one. */
  readonly persist: PersistResult;
  /** Killed children recovered from their persisted files. */
  readonly recovery: RecoveryResult;
  /** Summaries of CPU profiles of the ttlog paths (full runs). */
  readonly profiles: string[];
  readonly targets: TargetOutcome[];
  readonly durationSeconds: number;
}

const MIB = 1024 * 1024;
const count = (value: number): string => value.toLocaleString('en-US');

const THROUGHPUT_HEADER = [
  '',
  'candidate',
  'ns/record (median)',
  'min–max',
  'records/s',
  'CPU ns/record',
  'CPU vs (a)',
  'CPU vs (b) ttlog',
  'wall vs (a)',
  'wall vs (b)',
  'delivered / emitted',
  'dropped',
];

function throughputRows(results: readonly ThroughputResult[]): string[][] {
  return results.map((result) => [
    `(${result.id})`,
    result.label,
    result.medianNs.toFixed(0),
    `${result.minNs.toFixed(0)}–${result.maxNs.toFixed(0)}`,
    formatRate(result.recordsPerSecond),
    result.cpuNs.toFixed(0),
    `${result.cpuRatioToA.toFixed(2)}×`,
    `${result.cpuRatioToB.toFixed(2)}×`,
    `${result.ratioToA.toFixed(2)}×`,
    `${result.ratioToB.toFixed(2)}×`,
    `${count(result.delivered)} / ${count(result.emitted)}`,
    count(result.dropped),
  ]);
}

const LATENCY_HEADER = ['', 'call', 'p50 ns', 'p90 ns', 'p99 ns', 'p99.9 ns', 'max ns', 'mean ns', 'calls'];

function latencyRows(latency: LatencyResult): string[][] {
  const row = (summary: LatencySummary): string[] => [
    summary.id === 'b-snap' ? '(b) + snapshots' : `(${summary.id})`,
    summary.label,
    ...[summary.p50, summary.p90, summary.p99, summary.p999, summary.max, summary.mean].map((ns) => ns.toFixed(0)),
    count(summary.count),
  ];
  return [
    ...latency.candidates.map(row),
    row(latency.duringSnapshot),
    [
      '',
      latency.timerOverhead.label,
      ...[
        latency.timerOverhead.p50,
        latency.timerOverhead.p90,
        latency.timerOverhead.p99,
        latency.timerOverhead.p999,
        latency.timerOverhead.max,
        latency.timerOverhead.mean,
      ].map((ns) => ns.toFixed(0)),
      count(latency.timerOverhead.count),
    ],
  ];
}

const CONCURRENCY_HEADER = ['processor', 'threads', 'records/s (median)', 'min–max', 'scaling efficiency', '× one thread', 'CPU ns/record'];

function concurrencyRows(concurrency: ConcurrencyResult): string[][] {
  return concurrency.rows.map((row) => [
    row.processor === 'ttlog'
      ? 'TTLogProcessor.attach, one ring'
      : row.processor === 'event'
        ? 'typed event of an attached processor, one ring'
        : 'no-op processor (floor)',
    String(row.threads),
    formatRate(row.recordsPerSecond),
    `${formatRate(Math.min(...row.samples))}–${formatRate(Math.max(...row.samples))}`,
    `${(row.efficiency * 100).toFixed(0)}%`,
    `${(row.efficiency * row.threads).toFixed(2)}×`,
    row.cpuNsPerRecord.toFixed(0),
  ]);
}

const SNAPSHOT_HEADER = [
  'records',
  'write (median after the first)',
  'first write',
  'CPU time (median)',
  'of which write(2) + fsync',
  'file bytes',
  'bytes/record',
  'read back',
];

function snapshotRows(snapshots: readonly SnapshotResult[]): string[][] {
  return snapshots.map((snapshot) => [
    count(snapshot.records),
    `${snapshot.medianWriteMs.toFixed(0)} ms`,
    `${snapshot.firstWriteMs.toFixed(0)} ms`,
    `${median(snapshot.cpuMs).toFixed(0)} ms`,
    `${median(snapshot.ioWriteMs.map((ms, index) => ms + snapshot.fsyncMs[index]!)).toFixed(0)} ms`,
    count(snapshot.fileBytes),
    snapshot.bytesPerRecord.toFixed(1),
    `${snapshot.readMs.toFixed(0)} ms`,
  ]);
}

const ALTERNATIVES_HEADER = ['records', 'format', 'bytes', 'bytes/record', 'vs ttlog file', 'write time', 'CPU/record', 'read back'];

/** The name of a ttlog file's codec in the alternatives table. */
const CODEC_NAMES: Record<SnapshotCodec, string> = { lz4: 'LZ4, the default', deflate: 'DEFLATE', zstd: 'Zstandard' };

function alternativeRows(snapshots: readonly SnapshotResult[]): string[][] {
  const rows: string[][] = [];
  for (const snapshot of snapshots) {
    const alt = snapshot.alternatives;
    if (alt === undefined) continue;
    const per = (bytes: number): string => (bytes / snapshot.records).toFixed(1);
    const vs = (bytes: number): string => `${(bytes / snapshot.fileBytes).toFixed(2)}×`;
    const cpu = (ms: number): string => `${((ms / snapshot.records) * 1000).toFixed(2)} µs`;
    const ttlog = (codec: SnapshotCodec, result: { fileBytes: number; medianWriteMs: number; cpuMs: number[]; readMs: number }, first: boolean): string[] => [
      first ? count(snapshot.records) : '',
      `ttlog snapshot (CBOR + ${CODEC_NAMES[codec]}, fsync)`,
      count(result.fileBytes),
      per(result.fileBytes),
      vs(result.fileBytes),
      `${result.medianWriteMs.toFixed(0)} ms`,
      cpu(median(result.cpuMs)),
      `${result.readMs.toFixed(0)} ms`,
    ];
    rows.push(
      ttlog('lz4', snapshot, true),
      ...(snapshot.codecs ?? []).map((other) => ttlog(other.codec, other, false)),
      ['', 'NDJSON (pino lines), uncompressed', count(alt.ndjsonBytes), per(alt.ndjsonBytes), vs(alt.ndjsonBytes), '–', '–', '–'],
      [
        '',
        'NDJSON + gzip -6, fsync',
        count(alt.gzipBytes),
        per(alt.gzipBytes),
        vs(alt.gzipBytes),
        `${alt.gzipWriteMs.toFixed(0)} ms`,
        `${cpu(alt.gzipCpuMs)} (gzip + write)`,
        `${alt.gzipReadMs.toFixed(0)} ms`,
      ],
      [
        '',
        'OTLP protobuf, batches of 512',
        count(alt.protobufBytes),
        per(alt.protobufBytes),
        vs(alt.protobufBytes),
        `${alt.protobufMs.toFixed(0)} ms (serialize only)`,
        '–',
        '–',
      ],
      [
        '',
        'OTLP protobuf + gzip per batch',
        count(alt.protobufGzipBytes),
        per(alt.protobufGzipBytes),
        vs(alt.protobufGzipBytes),
        `${alt.protobufGzipMs.toFixed(0)} ms (serialize + gzip)`,
        cpu(alt.protobufGzipCpuMs),
        '–',
      ],
    );
  }
  return rows;
}

const RECORDER_HEADER = [
  'ring (records)',
  'snapshots written by',
  'ms/snapshot',
  'loop delay max, emitting',
  'loop delay p99, emitting',
  'emit p99',
  'loop delay max / p99, only awaiting',
];

function recorderRows(recorder: RecorderDelayResult): string[][] {
  const ms = (value: number): string => `${value.toFixed(1)} ms`;
  return recorder.rows.map((row) => [
    count(row.records),
    row.mode === 'recorder thread' ? 'the recorder thread (default)' : 'the main thread (`recorderThread: false`)',
    row.snapshotMs.toFixed(0),
    `${ms(row.during.loopMaxMs)} (${ms(row.floor.loopMaxMs)})`,
    `${ms(row.during.loopP99Ms)} (${ms(row.floor.loopP99Ms)})`,
    `${row.during.emitP99Us.toFixed(2)} µs (${row.floor.emitP99Us.toFixed(2)} µs)`,
    `${ms(row.quiet.loopMaxMs)} / ${ms(row.quiet.loopP99Ms)}`,
  ]);
}

const PERSIST_HEADER = ['', 'candidate', 'ns/record (median)', 'CPU ns/record', 'wall vs (a)', 'CPU vs (a)', 'wall vs (b)', 'CPU vs (b)'];

function persistRows(persist: PersistResult): string[][] {
  return persist.emit.map((result) => [
    `(${result.id})`,
    result.label,
    result.medianNs.toFixed(0),
    result.cpuNs.toFixed(0),
    `${result.ratioToA.toFixed(2)}×`,
    `${result.cpuRatioToA.toFixed(2)}×`,
    `${result.ratioToB.toFixed(2)}×`,
    `${result.cpuRatioToB.toFixed(2)}×`,
  ]);
}

const RECOVERY_HEADER = ['committed before the kill', 'records committed', 'recovered'];

function recoveryRows(recovery: RecoveryResult): string[][] {
  return recovery.buckets.map((bucket) => [
    bucketRange(bucket),
    count(bucket.committed),
    bucket.committed === 0 ? '–' : `${((100 * bucket.recovered) / bucket.committed).toFixed(2)} %`,
  ]);
}

const MEMORY_HEADER = [
  'ring capacity',
  'attributes',
  'message bytes',
  'records (after warm-up)',
  'ring bytes/record',
  'slot fill (bytes)',
  'heap growth',
  'RSS',
  'GC time',
  'GC per 1M records',
];

function memoryRows(cells: readonly MemoryCell[]): string[][] {
  return cells.map((cell) => [
    count(cell.capacity),
    String(cell.attributes),
    String(cell.messageBytes),
    millions(cell.records),
    `${cell.ringBytesPerRecord.toFixed(0)} (of ${(cell.ringBytes / MIB).toFixed(1)} MiB)`,
    `${cell.slotFill.toFixed(0)} of ${cell.maxRecordBytes}`,
    `${cell.heapGrowth >= 0 ? '+' : ''}${(cell.heapGrowth / MIB).toFixed(2)} MiB`,
    `${(cell.rss / MIB).toFixed(0)} MiB`,
    `${cell.gcMs.toFixed(0)} ms (${cell.gcCount})`,
    `${((cell.gcMs / cell.records) * 1e6).toFixed(0)} ms`,
  ]);
}

/** Plain text for stdout. */
export function formatConsole(results: BenchResults): string {
  const sections = [
    textTable(THROUGHPUT_HEADER, throughputRows(results.throughput)),
    textTable(LATENCY_HEADER, latencyRows(results.latency)),
    textTable(CONCURRENCY_HEADER, concurrencyRows(results.concurrency)),
    textTable(SNAPSHOT_HEADER, snapshotRows(results.snapshots)),
    textTable(ALTERNATIVES_HEADER, alternativeRows(results.snapshots)),
    results.memory.measured
      ? textTable(MEMORY_HEADER, memoryRows([results.memory.main!, ...results.memory.matrix]))
      : 'memory: not measured (start node with --expose-gc)',
    textTable(RECORDER_HEADER, recorderRows(results.recorder)),
    textTable(PERSIST_HEADER, persistRows(results.persist)),
    `The persisting work: ${persistThreadLine(results.persist)}`,
    textTable(RECOVERY_HEADER, recoveryRows(results.recovery)),
    results.targets.map((outcome) => `${mark(outcome.met)}  ${outcome.target}: ${outcome.measured} — ${outcome.margin}`).join('\n'),
  ];
  return sections.join('\n\n');
}

/** docs/benchmarks.md. */
export function renderMarkdown(results: BenchResults, resultFile: string): string {
  const { environment: env, plan, latency, concurrency, memory } = results;
  const byId = new Map(results.throughput.map((result) => [result.id, result]));
  const batch = byId.get('c');
  const during = latency.duringSnapshot;
  const out: string[] = [];
  out.push(
    '# Benchmarks',
    '',
    `<!-- Generated by bench/report.ts from ${resultFile}; edit the generator, not this file. -->`,
    '',
    `Measured with \`${env.command}\` on ${env.date.slice(0, 10)}` +
      (results.mode === 'quick' ? ' — a **quick** run (fewer records; run `npm run bench` for the full figures).' : '.'),
    '',
    '| | |',
    '|---|---|',
    `| Date | ${env.date} |`,
    `| CPU | ${env.cpu}, ${env.cores} cores |`,
    `| Memory | ${(env.memoryBytes / 1024 ** 3).toFixed(1)} GiB |`,
    `| OS | ${env.os} |`,
    `| Node | ${env.node} |`,
    `| Packages | ${Object.entries(env.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(', ')} |`,
    `| Code | commit ${env.commit}${env.uncommittedSources.length === 0 ? '' : ` plus uncommitted changes to ${env.uncommittedSources.join(', ')}`} |`,
    `| Load average | ${env.loadAverage.toFixed(2)} at the start, ${results.loadAverageAtEnd.toFixed(2)} at the end (1 min). The machine is shared: other work competes for its ${env.cores} cores, so wall times are noisy; the CPU-time columns are steadier, and ratios are taken within a round |`,
    `| Run time | ${results.durationSeconds.toFixed(0)} s |`,
    '',
    'The npm scripts start Node with `--import tsx --import ./spec/support/tsx-workers.mjs`: the second preload lets the worker threads ttlog starts itself ' +
      '(the recorder thread, which loads `src/recorder/recorder-worker.ts`) load the TypeScript sources. On Node 20 `--import tsx` alone does not reach them, ' +
      'and ttlog would fall back to writing snapshots on the main thread; with the preload the benchmark measures what a service running the built package runs. ' +
      'The recorder-thread section checks which path each processor used and stops the run if it is not the one it measures.',
    '',
    '## Targets',
    '',
    'Reported, never asserted. Where a target is missed, "Where the time goes" below shows the profile.',
    '',
    '| | target | measured | |',
    '|---|---|---|---|',
    ...results.targets.map((outcome) => `| ${mark(outcome.met)} | ${outcome.target} | ${outcome.measured} | ${outcome.margin} |`),
    '',
    '## Throughput: the same records through each logger',
    '',
    'Every candidate logs the same records — the message `"request handled"` at INFO with six attributes: `http.method` (one of 4 strings), ' +
      '`http.route` (one of 8), `http.status_code` (int, one of 8), `duration_ms` (a double, an int one time in eight), `cache.hit` (boolean) and ' +
      '`request.id` (16 random-looking hex digits: a new string object in every record, its text from 65,536 precomputed ids) — through its own call site, in one process.',
    '',
    `After a warm-up of ${count(plan.throughput.warmupRecords)} records per candidate (twice), ${plan.throughput.rounds} rounds each log ` +
      `${count(plan.throughput.recordsPerSample)} records per candidate, the order rotating every round; a full GC runs before each sample. ` +
      `The loop gives the event loop a turn every ${plan.throughput.yieldEvery} records, as a service does between requests; the timed region includes ` +
      "those turns and the work that finishes the sample (the batch processor's `forceFlush`, pino's and winston's pending writes). " +
      'Ratios are the median over rounds of the ratio within each round.',
    '',
    markdownTable(THROUGHPUT_HEADER, throughputRows(results.throughput)),
    '',
    '"ns/record" is wall time; "min–max" is the spread of the per-round figures; "CPU ns/record" is the CPU time of the whole process ' +
      "(every thread: GC helpers, libuv's pool) per record, median over rounds — it does not grow when other work takes the cores. " +
      '"CPU vs" and "wall vs" are CPU time and wall time per record relative to (a) and to (b), the median over rounds of the ratio within each round: above 1 is slower. ' +
      'The targets are judged on the CPU ratios, which other work on the machine disturbs least. "delivered" counts what reached each destination.',
    '',
    "- (a) is OpenTelemetry's `Logger.emit` (record creation, attribute limits, the processor call) into a processor whose `onEmit` only counts.",
    `- (b) is \`TTLogProcessor\` with its defaults (8192 slots of 1024 bytes). After the samples a snapshot of its ring is read back: ${byId.get('b')?.check ?? ''}.`,
    byId.get('t') === undefined
      ? ''
      : '- (t) logs the same records as a typed event of a `TTLogProcessor` with the same defaults (`processor.event(…).emit(attributes, message)`, ' +
          `the six attributes declared with their types), which writes into the ring without the SDK (README, "Typed events"): ${byId.get('t')!.check}.`,
    batch === undefined
      ? ''
      : '- (c) uses the SDK\'s default batch settings (queue 2048, batch 512); "delivered" counts records the exporter received. ' +
          `${batch.dropped === 0 ? 'It dropped none here: the loop yields often enough for it to export.' : `It dropped ${count(batch.dropped)} of ${count(batch.emitted)} (queue full).`} ` +
          `Given a burst of ${count(results.batchBurst.emitted)} records with no event-loop turn, it exported ${count(results.batchBurst.exported)} and dropped ${count(results.batchBurst.dropped)}.`,
    `- (c-json) is the same with an exporter that serializes every batch with \`JsonLogsSerializer\` (the OTLP/HTTP JSON body), no network: ${byId.get('c-json')?.check ?? ''}.`,
    "- (d) is `pino.destination('/dev/null')`, pino's default destination: asynchronous (sonic-boom, `minLength` 0), its writes run on libuv's thread pool, " +
      "so they can use another core. (d-sync) is `pino.destination({ dest: '/dev/null', sync: true })`, one `write(2)` per line. " +
      `pino: ${byId.get('d')?.check ?? ''}.`,
    `- (e) is winston with \`format.combine(format.timestamp(), format.json())\` and a Stream transport over \`fs.createWriteStream('/dev/null')\`: ${byId.get('e')?.check ?? ''}.`,
    `- (f) is bunyan with a raw \`RingBuffer\` stream (it keeps the record objects, unserialized): ${byId.get('f')?.check ?? ''}.`,
    `- (g) is \`@aws-lambda-powertools/logger\` with \`logBufferOptions: { enabled: true, bufferAtVerbosity: 'INFO' }\` and \`maxBytes\` sized for about 8192 records; buffering needs an X-Ray trace id, set in \`_X_AMZN_TRACE_ID\` as in a Lambda invocation. Each record is serialized to JSON into the buffer: ${byId.get('g')?.check ?? ''}.`,
    '',
    '## Latency of a single call',
    '',
    `Every call timed alone with \`performance.now()\` around it into an HdrHistogram (\`hdr-histogram-js\`); after a warm-up, ${plan.latency.rounds} rounds of ` +
      `${count(plan.latency.callsPerRound)} calls per candidate, the order rotating, a turn of the event loop every ${plan.latency.yieldEvery} calls. ` +
      'GC pauses that land in a call are in its time. The last row is what the timer pair reads with nothing between (not subtracted).',
    '',
    `"(b) + snapshots": the same ttlog processor (a ring of ${count(during.ringCapacity)} records) logging at least ${count(plan.latency.rounds * plan.latency.callsPerRound)} calls (and until ${plan.latency.snapshots} snapshots were written) while a timer ` +
      `in the same process starts a snapshot of that ring every ${plan.latency.snapshotEveryMs} ms — the realistic case: a service's periodic or triggered snapshot runs on its own event loop, ` +
      'between requests, and yields between chunks so logging goes on while it is in flight. Only calls made while a snapshot was in flight are counted in that row: ' +
      `${count(during.count)} calls during ${during.snapshots} snapshots of ${during.snapshotMs.toFixed(0)} ms each on average (wall time from start to file), ` +
      `written ${during.onRecorderThread === true ? "by the processor's recorder thread (the default), the main thread only asking and awaiting" : 'on the main thread'}. ` +
      `While snapshots ran, the event loop's delay was ${(during.loopDelayP99 / 1e6).toFixed(1)} ms at p99 and ${(during.loopDelayMax / 1e6).toFixed(1)} ms at most ` +
      `(the longest synchronous slice — ${during.onRecorderThread === true ? '' : 'a snapshot chunk or '}${plan.latency.yieldEvery} logged calls — that other work waited behind).`,
    '',
    markdownTable(LATENCY_HEADER, latencyRows(latency)),
    '',
    '## Several producer threads, one ring',
    '',
    `1, 2 and 4 worker threads, each with its own \`LoggerProvider\` and a \`TTLogProcessor.attach(handle)\` on the main thread's ring (default size), ` +
      `log ${count(plan.concurrency.recordsPerThread)} records each from a shared start line (after ${count(plan.concurrency.warmupRecords)} warm-up records each); ` +
      `${plan.concurrency.rounds} rounds, the order rotating. Aggregate records/s is all records over the time from the first thread's start to the last one's end; ` +
      'scaling efficiency is that over (threads × the one-thread rate). The no-op rows run the same threads with a processor that only counts: the scaling ' +
      "OpenTelemetry, the memory system and the machine allow, to read the ring's own cost against. " +
      "The typed-event rows run the same threads logging the same records as a typed event of each thread's attached processor (`processor.event(…).emit`, as (t) above), without the SDK, into a ring of their own. " +
      `**This machine has ${concurrency.cores} cores**, shared with other work: 4 threads cannot all run at once, so the 4-thread rows show oversubscription, not scaling. ` +
      "CPU ns/record is the whole process's CPU time over the records: flat across thread counts means the threads do not slow each other down, only wait for a core.",
    '',
    markdownTable(CONCURRENCY_HEADER, concurrencyRows(concurrency)),
    '',
    `Read back: ${concurrency.check}.`,
    '',
    '## Snapshot cost',
    '',
    `For each size a \`TTLogProcessor\` with a ring of the next power of two and \`maxRecordBytes\` ${plan.snapshot.maxRecordBytes} is filled through a \`LoggerProvider\` ` +
      `(the six-attribute record, request ids unique in every record); \`processor.snapshot()\` — capture, CBOR chunks compressed with LZ4 (the default codec), temp file, fsync, rename — is timed ${plan.snapshot.repeats} times on the same ring. ` +
      `The ${count(plan.snapshot.sizes[0]!)}-record snapshot runs first in the process, so its first write finds the code not yet optimised, as a crash snapshot in a service that never took one would; ` +
      'first writes are reported apart and the median is over the others. "Read back" is `readSnapshot` of the file, every record then checked against what was logged.',
    '',
    markdownTable(SNAPSHOT_HEADER, snapshotRows(results.snapshots)),
    '',
    'The rest of each write time is capturing the ring and encoding (decode slots, CBOR, LZ4, CRC). These processors write on the main thread, which yields to the event loop between chunks: ' +
      'their exporter times its writes and fsyncs through a `fileSystem` of its own, and a processor with a custom `fileSystem` writes its snapshots on the main thread. The work is the same on the recorder thread; what that thread changes for the main thread is in "The recorder thread" below.',
    '',
    ...results.snapshots.map((snapshot) => `- ${count(snapshot.records)}: ${snapshot.check}.`),
    '',
    'The same records in the formats a user has without ttlog: the NDJSON lines pino writes, gzip-compressed at level 6 as log rotation does and written with fsync ' +
      '(read back: gunzip and `JSON.parse` of every line); and OTLP protobuf (`ProtobufLogsSerializer`) over batches of 512 SDK records, as the OTLP exporter sends them, raw and gzip-compressed per batch. ' +
      'Their write times count only serialization, compression and the file write, not the logging that produced the records. ' +
      `The ttlog rows are the same ring written with each of the exporter's codecs (\`codec\`: ${['lz4', ...plan.snapshot.codecs].join(', ')}; \`zstd\` only where this Node's \`node:zlib\` has it). ` +
      'CPU/record is the process CPU time of one write (the median) over its records: for ttlog capture, sort, encode, compress and write; for NDJSON gzip and the file write; for OTLP serialization and gzip.',
    '',
    markdownTable(ALTERNATIVES_HEADER, alternativeRows(results.snapshots)),
    '',
    '## Memory',
    '',
  );
  if (memory.measured && memory.main !== undefined) {
    const main = memory.main;
    out.push(
      `\`TTLogProcessor\` (ring of ${count(main.capacity)}) logging ${millions(main.records)} records after a warm-up of ${millions(plan.memory.main.warmupRecords)}, a unique request id in every record; ` +
        "`process.memoryUsage()` after two full GCs at each checkpoint; GC time from `perf_hooks` 'gc' entries while logging (forced collections excluded). " +
        'The ring is a SharedArrayBuffer, counted in `arrayBuffers` and RSS, not in the heap.',
      '',
      markdownTable(
        ['records after warm-up', 'heapUsed', 'rss', 'arrayBuffers'],
        main.checkpoints.map((point) => [
          millions(point.records),
          `${(point.heapUsed / MIB).toFixed(2)} MiB`,
          `${(point.rss / MIB).toFixed(1)} MiB`,
          `${(point.arrayBuffers / MIB).toFixed(2)} MiB`,
        ]),
      ),
      '',
      `The matrix: ring capacity × attributes per record × message size, ${millions(plan.memory.matrix[0]?.checkpoints.at(-1) ?? 0)} records each after a warm-up of ${millions(plan.memory.matrix[0]?.warmupRecords ?? 0)} (the first row is the main cell above). ` +
        '"Ring bytes/record" is the SharedArrayBuffer over its capacity — what keeping one record costs; "slot fill" is the mean encoded size of the records in the ring, of the slot size. ' +
        "RSS is the whole process's and carries every earlier cell's leftovers.",
      '',
      markdownTable(MEMORY_HEADER, memoryRows([main, ...memory.matrix])),
    );
  } else {
    out.push('Not measured: the run was started without `--expose-gc`.');
  }
  out.push('', ...recorderSection(results), '', ...persistSection(results));
  out.push(
    '',
    '## Where the time goes',
    '',
    results.profiles.length === 0
      ? 'Not profiled in a quick run. '
      : "The ttlog paths of this benchmark under V8's sampling profiler (the one `node --cpu-prof` uses), started after a warm-up: self time by area, then by function. " +
          "V8 inlines small callees into their callers, so an inlined function's time shows under its caller. " +
          'The profiler samples the main thread only, so the snapshot workload writes there (`recorderThread: false`): the capture and encoding are the same code on the recorder thread. ',
    '`npm run bench:profile -- emit` (or `-- snapshot`) prints the same summary on its own; `npm run bench:profile -- <file>.cpuprofile` summarises a profile taken with `node --cpu-prof`.',
    '',
    ...results.profiles.flatMap((summary) => ['```text', summary, '```', '']),
    `Raw results: \`${resultFile}\` (not committed). \`node --import tsx bench/index.ts --render ${resultFile}\` regenerates this page from them.`,
    '',
  );
  return out.filter((line, index, lines) => !(line === '' && lines[index - 1] === '')).join('\n');
}

/** The recorder thread: the main thread's event-loop delay while snapshots are written. */
function recorderSection({ recorder }: BenchResults): string[] {
  const { plan } = recorder;
  return [
    '## The recorder thread: the event loop while snapshots are written',
    '',
    `Rings of ${plan.sizes.map(count).join(' and ')} records (\`maxRecordBytes\` ${plan.maxRecordBytes}, no severity lane) are filled, then snapshotted back to back ` +
      `(${plan.sizes.map((size) => `${plan.snapshots[size] ?? 4} snapshots of the ${count(size)}-record ring`).join(', ')}) while the main thread keeps emitting ` +
      `${plan.emitBatch} records per turn of its event loop; \`perf_hooks.monitorEventLoopDelay\` (1 ms resolution) measures how long the loop waited, and each \`emit\` is timed into a histogram. ` +
      'Each ring runs with the recorder thread (the default) and with `recorderThread: false` in the same process, and each against a stretch of the same emitting with no snapshot ' +
      '(in parentheses: the floor of this machine, where other work and GC already delay the loop). The last column is the loop delay during the same snapshots when the main thread does nothing else but await them: the delay the snapshot itself causes. ' +
      '`npm run bench:recorder` runs this section on its own; `npm run bench:recorder-waits` (Linux, with `perf`) shows what the CPUs ran while the main thread waited during the 1,048,576-record snapshots.',
    '',
    markdownTable(RECORDER_HEADER, recorderRows(recorder)),
  ];
}

/** `persist`: the emit cost, the persisting thread's work and the recovered share. */
function persistSection({ persist, recovery }: BenchResults): string[] {
  const { plan } = persist;
  const out = [
    '## persist: what keeping the ring in a file costs',
    '',
    `(a) and (b) as in the throughput section; (p) is (b) with \`persist: { intervalMs: ${plan.intervalMs} }\`, its recorder thread copying new records to the persisted file every ${plan.intervalMs} ms while it logs. ` +
      `After a warm-up of ${count(plan.emit.warmupRecords)} records each (twice), ${plan.emit.rounds} rounds of ${count(plan.emit.recordsPerSample)} records per candidate, the order rotating; ratios are the median over rounds of the ratio within each round. ` +
      "`persist` adds nothing to `onEmit`: wall time says whether the persisting thread's work shows on the emitting thread; CPU time is the whole process's, so (p)'s includes the persisting thread.",
    '',
    markdownTable(PERSIST_HEADER, persistRows(persist)),
    '',
    `The persisting thread's work alone: the default ring (8192 slots of 1024 bytes) gets ${count(plan.recordsPerTick)} new records (what one ${plan.intervalMs} ms tick holds at 100,000 records/s), then one persist tick runs, ` +
      `${plan.ticks} times; CPU time by the process's clock (nothing else runs meanwhile; system calls included), median over the ticks: ${persistThreadLine(persist)} ` +
      'Nothing is fsynced: the page cache outlives a killed process. `npm run bench:persist` runs this part on its own.',
    '',
    '### Recovered records against the time before a kill',
    '',
  ];
  const failed = recovery.failures.length;
  out.push(
    `${recovery.plan.trials} children (${CONCURRENT_CHILDREN} at a time) log numbered records from their main thread and a worker thread with \`persist\` (\`intervalMs\` ${recovery.intervalMs}), ` +
      `are SIGKILLed at a random moment ${KILL_AFTER_MS.from}–${KILL_AFTER_MS.to} ms after they start logging, and are recovered as a starting processor does. Every trial is checked as spec/persist/persist-kill.spec.ts checks it ` +
      `(every record committed more than ${2 * recovery.intervalMs} ms before the kill, or before the last persisted batch began, is there, in order, none torn; the counters add up): ` +
      `${failed === 0 ? 'all passed' : `**${failed} failed**: ${recovery.failures.join('; ')}`}. ` +
      `In ${recovery.lagged} of them the last batch began more than ${2 * recovery.intervalMs} ms before the kill (the persisting thread kept off the CPU by other work). ` +
      "The share below is by how long before the kill a record was committed, from the child's reports every 10 ms of what it had committed. " +
      `\`npm run stress:persist [trials]\` runs more trials (100 by default); this run took ${recovery.seconds.toFixed(0)} s.`,
    '',
    markdownTable(RECOVERY_HEADER, recoveryRows(recovery)),
  );
  return out;
}

/** The persisting thread's work in one sentence. */
function persistThreadLine(persist: PersistResult): string {
  return (
    `${persist.tickCpuMs.toFixed(2)} ms CPU (${persist.tickWallMs.toFixed(2)} ms wall) per tick of ${count(persist.plan.recordsPerTick)} records, ` +
    `that is ${persist.cpuMsPerSecondAt100k.toFixed(0)} ms CPU per second — ${(persist.cpuMsPerSecondAt100k / 10).toFixed(1)} % of a core — per 100,000 records/s persisted, ` +
    `and ${(persist.bytesPerSecondAt100k / MIB).toFixed(1)} MiB/s handed to the page cache (the persisted file: ${(persist.fileBytes / MIB).toFixed(1)} MiB).`
  );
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function mark(met: boolean | undefined): string {
  return met === undefined ? '–' : met ? 'met' : 'MISSED';
}

function formatRate(perSecond: number): string {
  return perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(2)} M` : `${(perSecond / 1e3).toFixed(0)} k`;
}

function markdownTable(header: readonly string[], rows: readonly string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

function textTable(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, column) => (column <= 1 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}
