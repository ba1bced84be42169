/**
 * The recorder thread's effect on the main thread: while a ring is snapshotted back to back, the
 * main thread keeps emitting records from `setImmediate` batches, and
 * `perf_hooks.monitorEventLoopDelay` measures how long its event loop waited. Each size runs with
 * the recorder thread and with `recorderThread: false` in the same process, each against a stretch
 * of the same emitting with no snapshot (the floor). Measured: the loop delay's max and p99 and the
 * p99 of one `emit`, during snapshots and without them; and the loop delay during snapshots of a
 * main thread that does nothing else (`quiet`), which is the delay the snapshot itself causes.
 *
 * The recorder thread loads the TypeScript sources only when the process preloads
 * spec/support/tsx-workers.mjs; without it ttlog writes on the main thread, and a row that finds the
 * other path in use than the one it measures throws rather than report the wrong figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { SnapshotExporter, TTLogProcessor } from '../src/index.ts';
import { attributesOf, MESSAGE, SCOPE_NAME, SCOPE_VERSION, SEVERITY_NUMBER, SEVERITY_TEXT } from './record.ts';

export interface RecorderDelayPlan {
  /** Ring capacities (records), each filled before it is snapshotted. */
  readonly sizes: readonly number[];
  /** Snapshots written back to back per size and path, by size: enough for a p99 of the loop delay without making the largest ring long. */
  readonly snapshots: Readonly<Record<number, number>>;
  readonly maxRecordBytes: number;
  /** Records emitted per main-thread turn while measuring. */
  readonly emitBatch: number;
}

export interface LoopFigures {
  readonly loopMaxMs: number;
  readonly loopP99Ms: number;
  readonly emitP99Us: number;
  readonly emits: number;
}

export interface RecorderDelayRow {
  readonly records: number;
  readonly mode: 'recorder thread' | 'main thread';
  readonly snapshots: number;
  readonly snapshotMs: number;
  readonly during: LoopFigures;
  readonly floor: LoopFigures;
  readonly quiet: LoopFigures;
}

export interface RecorderDelayResult {
  readonly plan: RecorderDelayPlan;
  readonly rows: RecorderDelayRow[];
}

/** Rings of 65,536 and 1,048,576 records (1M rounded up to a power of two, as `capacity` does). */
export const RECORDER_DELAY_PLAN: RecorderDelayPlan = {
  sizes: [65_536, 1_048_576],
  snapshots: { 65_536: 20, 1_048_576: 4 },
  maxRecordBytes: 256,
  emitBatch: 20,
};

/** Every size, with the recorder thread and then without it. */
export async function measureRecorderDelay(plan: RecorderDelayPlan): Promise<RecorderDelayResult> {
  const rows: RecorderDelayRow[] = [];
  for (const records of plan.sizes) {
    for (const mode of ['recorder thread', 'main thread'] as const) rows.push(await measureOne(plan, records, mode));
  }
  return { plan, rows };
}

async function measureOne(plan: RecorderDelayPlan, records: number, mode: RecorderDelayRow['mode']): Promise<RecorderDelayRow> {
  const { processor, emit, close } = await filledProcessor(records, plan.maxRecordBytes, mode);
  const snapshots = plan.snapshots[records] ?? 4;
  try {
    const snapshotBackToBack = async () => {
      for (let n = 0; n < snapshots; n++) await processor.snapshot('bench');
    };
    const started = performance.now();
    const during = await whileEmitting(plan.emitBatch, emit, snapshotBackToBack);
    const snapshotMs = (performance.now() - started) / snapshots;
    const floor = await whileEmitting(plan.emitBatch, emit, () => sleep(Math.min(5000, snapshotMs * snapshots)));
    const quiet = await whileEmitting(plan.emitBatch, undefined, snapshotBackToBack);
    return { records, mode, snapshots, snapshotMs, during, floor, quiet };
  } finally {
    await close();
    (globalThis as { gc?: () => void }).gc?.();
  }
}

/** A processor whose ring of `records` records is full, the path `mode` names in use; `emit` logs the next numbered record. */
export interface FilledProcessor {
  readonly processor: TTLogProcessor;
  readonly emit: () => void;
  /** Shuts the provider down and removes the snapshots' directory. */
  close(): Promise<void>;
}

/**
 * Fills a ring of `records` records and writes one snapshot, which starts the recorder thread and
 * warms the code on both paths; throws when the path in use is not the one `mode` names.
 */
export async function filledProcessor(records: number, maxRecordBytes: number, mode: RecorderDelayRow['mode']): Promise<FilledProcessor> {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-bench-recorder-'));
  const processor = new TTLogProcessor({
    exporter: new SnapshotExporter({ directory, serviceName: 'bench', retention: { maxFiles: 2 } }),
    capacity: records,
    maxRecordBytes,
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
  const close = async () => {
    await provider.shutdown();
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < records; i++) emit();
    await processor.snapshot('warm-up');
    if (processor.stats().recorderThread?.onMainThread !== (mode === 'main thread')) {
      throw new Error(`the ${mode} path is not the one in use (is spec/support/tsx-workers.mjs preloaded?)`);
    }
    return { processor, emit, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Emits in batches, one per turn of the loop, until `work` settles (without `emit`, only waits for it); the loop delay and each emit's time meanwhile. */
export async function whileEmitting(batch: number, emit: (() => void) | undefined, work: () => Promise<unknown>): Promise<LoopFigures> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  // A histogram, not an array of every time: millions of emits would make the array's own growth
  // (a copy of all it holds) a pause of the loop being measured.
  const emitTimes = createHistogram();
  let done = false;
  const pump = (async () => {
    while (!done && emit !== undefined) {
      for (let i = 0; i < batch; i++) {
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
    emitP99Us: emitTimes.count === 0 ? 0 : emitTimes.percentile(99) / 1000,
    emits: emitTimes.count,
  };
}
