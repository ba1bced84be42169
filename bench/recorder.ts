/**
 * The recorder thread's effect on the main thread: while rings of 65,536 and 1,048,576 records
 * (1M rounded up to a power of two, as `capacity` does) are snapshotted back to back, the main
 * thread keeps emitting records from `setImmediate` batches, and `perf_hooks.monitorEventLoopDelay`
 * measures how long its event loop waited. Each size runs with the recorder thread and with
 * `recorderThread: false` in the same process, each against a stretch of the same emitting with no
 * snapshot (the floor). Reported: the loop delay's max and p99 and the p99 of one `emit`, during
 * snapshots and without them; and the loop delay during snapshots of a main thread that does
 * nothing else (`quiet`), which is the delay the snapshot itself causes.
 *
 * Run with `npm run bench:recorder`: the TypeScript sources then load in worker threads too
 * (spec/support/tsx-workers.mjs); without that preload the thread cannot start and both columns
 * would measure the main thread. `--quick` runs the 65,536-record ring only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { SnapshotExporter, TTLogProcessor } from '../src/index.ts';
import { attributesOf, MESSAGE, SCOPE_NAME, SCOPE_VERSION, SEVERITY_NUMBER, SEVERITY_TEXT } from './record.ts';

const quick = process.argv.includes('--quick');
const SIZES = quick ? [65_536] : [65_536, 1_048_576];
/** Snapshots written back to back per size and mode: enough for a p99 of the loop delay without making the 1M case long. */
const SNAPSHOTS: Readonly<Record<number, number>> = { 65_536: 20, 1_048_576: 4 };
const MAX_RECORD_BYTES = 256;
/** Records emitted per main-thread turn while measuring. */
const EMIT_BATCH = 20;

interface Figures {
  readonly loopMaxMs: number;
  readonly loopP99Ms: number;
  readonly emitP99Us: number;
  readonly emits: number;
}

interface Row {
  readonly records: number;
  readonly mode: 'recorder thread' | 'main thread';
  readonly snapshotMs: number;
  readonly during: Figures;
  readonly floor: Figures;
  readonly quiet: Figures;
}

// Reports the thread not starting (no TypeScript loader in workers): the figures would be wrong.
diag.setLogger({ error: (m) => console.error(m), warn: (m) => console.error(m), info() {}, debug() {}, verbose() {} }, DiagLogLevel.WARN);

const rows: Row[] = [];
for (const records of SIZES) {
  for (const mode of ['recorder thread', 'main thread'] as const) rows.push(await measure(records, mode));
}
print(rows);

async function measure(records: number, mode: Row['mode']): Promise<Row> {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-bench-recorder-'));
  const processor = new TTLogProcessor({
    exporter: new SnapshotExporter({ directory, serviceName: 'bench', retention: { maxFiles: 2 } }),
    capacity: records,
    maxRecordBytes: MAX_RECORD_BYTES,
    severityLane: false,
    recorderThread: mode === 'recorder thread',
  });
  const provider = new LoggerProvider({ processors: [processor as never] });
  const logger = provider.getLogger(SCOPE_NAME, SCOPE_VERSION);
  let index = 0;
  const emit = () => {
    const i = index++;
    logger.emit({ severityNumber: SEVERITY_NUMBER, severityText: SEVERITY_TEXT, body: MESSAGE, attributes: attributesOf(i) });
  };
  for (let i = 0; i < records; i++) emit();
  // The first snapshot starts the thread and warms the code on both paths.
  await processor.snapshot('warm-up');
  if (processor.stats().recorderThread?.onMainThread !== (mode === 'main thread')) throw new Error(`the ${mode} path is not the one in use`);

  const started = performance.now();
  const during = await whileEmitting(emit, async () => {
    for (let n = 0; n < SNAPSHOTS[records]!; n++) await processor.snapshot('bench');
  });
  const snapshotMs = (performance.now() - started) / SNAPSHOTS[records]!;
  const floor = await whileEmitting(emit, () => sleep(Math.min(5000, snapshotMs * SNAPSHOTS[records]!)));
  const quiet = await whileEmitting(undefined, async () => {
    for (let n = 0; n < SNAPSHOTS[records]!; n++) await processor.snapshot('bench');
  });
  await provider.shutdown();
  rmSync(directory, { recursive: true, force: true });
  (globalThis as { gc?: () => void }).gc?.();
  return { records, mode, snapshotMs, during, floor, quiet };
}

/** Emits in batches, one per turn of the loop, until `work` settles (without `emit`, only waits for it); the loop delay and each emit's time meanwhile. */
async function whileEmitting(emit: (() => void) | undefined, work: () => Promise<unknown>): Promise<Figures> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  // A histogram, not an array of every time: millions of emits would make the array's own growth
  // (a copy of all it holds) a pause of the loop being measured.
  const emitTimes = createHistogram();
  let done = false;
  const pump = (async () => {
    while (!done && emit !== undefined) {
      for (let i = 0; i < EMIT_BATCH; i++) {
        const before = performance.now();
        emit();
        emitTimes.record(Math.max(1, Math.round((performance.now() - before) * 1e6)));
      }
      await nextTurn();
    }
  })();
  histogram.enable();
  await work();
  done = true;
  histogram.disable();
  await pump;
  return {
    loopMaxMs: histogram.max / 1e6,
    loopP99Ms: histogram.percentile(99) / 1e6,
    emitP99Us: emitTimes.percentile(99) / 1000,
    emits: emitTimes.count,
  };
}

function print(results: readonly Row[]): void {
  const fixed = (value: number, digits = 1) => value.toFixed(digits);
  console.log(`Node ${process.version}, ${SIZES.join(' and ')} records of up to ${MAX_RECORD_BYTES} bytes, snapshots back to back while the main thread emits`);
  console.log('records   | path            | ms/snapshot | loop max ms (floor) | loop p99 ms (floor) | emit p99 µs (floor) | quiet loop max / p99 ms');
  for (const row of results) {
    console.log(
      [
        String(row.records).padEnd(9),
        row.mode.padEnd(15),
        fixed(row.snapshotMs, 0).padStart(11),
        `${fixed(row.during.loopMaxMs)} (${fixed(row.floor.loopMaxMs)})`.padStart(19),
        `${fixed(row.during.loopP99Ms)} (${fixed(row.floor.loopP99Ms)})`.padStart(19),
        `${fixed(row.during.emitP99Us, 2)} (${fixed(row.floor.emitP99Us, 2)})`.padStart(19),
        `${fixed(row.quiet.loopMaxMs)} / ${fixed(row.quiet.loopP99Ms)}`.padStart(23),
      ].join(' | '),
    );
  }
}
