/**
 * Memory: log through a `TTLogProcessor` and read, after a full GC, `process.memoryUsage()` and
 * the GC time (`perf_hooks` 'gc' entries, forced collections excluded) the logging caused.
 *
 * The main cell is the processor's defaults (8192 slots of 1024 bytes) with the benchmark record
 * and a unique request id in every record, over 10M records: the heap is read after a warm-up
 * and at checkpoints up to the end, so per-record growth would show. The matrix varies the ring
 * capacity, the attributes per record and the message size over fewer records each.
 *
 * "Ring bytes per record" is the SharedArrayBuffer's size over its capacity (what keeping one
 * record costs); "slot fill" is the encoded size of the records in the ring, read from its slot
 * table. The ring is counted in `arrayBuffers` and RSS, not in the JS heap. RSS is the whole
 * process's and includes every earlier cell's leftovers; it is shown, not compared.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { SnapshotExporter, TTLogProcessor } from '../src/index.ts';
import { openRingBuffer, SLOT_WORDS } from '../src/record/ring-layout.ts';
import { type AttributeCount, attributesOf, LONG_MESSAGE, MESSAGE, SCOPE_NAME, SCOPE_VERSION, SEVERITY_NUMBER, SEVERITY_TEXT } from './record.ts';

export interface MemoryCellPlan {
  readonly capacity: number;
  readonly attributes: AttributeCount;
  readonly longMessage: boolean;
  /** Records logged before the baseline reading. */
  readonly warmupRecords: number;
  /** Record counts (after the warm-up) at which memory is read; ascending. */
  readonly checkpoints: readonly number[];
}

export interface MemoryPlan {
  readonly main: MemoryCellPlan;
  readonly matrix: readonly MemoryCellPlan[];
}

export interface MemoryCheckpoint {
  readonly records: number;
  readonly heapUsed: number;
  readonly rss: number;
  readonly arrayBuffers: number;
}

export interface MemoryCell {
  readonly capacity: number;
  readonly attributes: AttributeCount;
  readonly messageBytes: number;
  readonly records: number;
  readonly ringBytes: number;
  readonly ringBytesPerRecord: number;
  /** Mean encoded bytes of the records in the ring (of `maxRecordBytes` per slot). */
  readonly slotFill: number;
  readonly maxRecordBytes: number;
  /** heapUsed at the last checkpoint minus after the warm-up. */
  readonly heapGrowth: number;
  readonly rss: number;
  /** GC pause time and count while logging after the warm-up (forced GCs excluded). */
  readonly gcMs: number;
  readonly gcCount: number;
  readonly checkpoints: MemoryCheckpoint[];
}

export interface MemoryResult {
  /** False when the process was started without --expose-gc: the figures would be noise. */
  readonly measured: boolean;
  readonly main: MemoryCell | undefined;
  readonly matrix: MemoryCell[];
}

const collectGarbage = (globalThis as { gc?: () => void }).gc;

export async function measureMemory(plan: MemoryPlan): Promise<MemoryResult> {
  if (collectGarbage === undefined) return { measured: false, main: undefined, matrix: [] };
  const main = await measureCell(plan.main);
  const matrix: MemoryCell[] = [];
  for (const cell of plan.matrix) matrix.push(await measureCell(cell));
  return { measured: true, main, matrix };
}

async function measureCell(plan: MemoryCellPlan): Promise<MemoryCell> {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-bench-'));
  let gcMs = 0;
  let gcCount = 0;
  let counting = false;
  const observer = new PerformanceObserver((list) => {
    if (!counting) return;
    for (const entry of list.getEntries()) {
      const flags = (entry as unknown as { detail?: { flags?: number } }).detail?.flags ?? 0;
      if ((flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0) continue;
      gcMs += entry.duration;
      gcCount++;
    }
  });
  try {
    const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory }), capacity: plan.capacity });
    const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'ttlog-bench' }), processors: [processor as never] });
    const logger = provider.getLogger(SCOPE_NAME, SCOPE_VERSION);
    const body = plan.longMessage ? LONG_MESSAGE : MESSAGE;
    let logged = 0;
    const logUntil = async (target: number): Promise<void> => {
      while (logged < target) {
        const end = Math.min(target, logged + 65_536);
        for (; logged < end; logged++) {
          logger.emit({ severityNumber: SEVERITY_NUMBER, severityText: SEVERITY_TEXT, body, attributes: attributesOf(logged, plan.attributes) });
        }
        // The GC observer's entries arrive on the event loop.
        await nextTurn();
      }
    };
    const read = async (): Promise<MemoryCheckpoint> => {
      await nextTurn();
      // Twice: the first pass can leave finalizer-held objects for the second.
      collectGarbage!();
      collectGarbage!();
      const usage = process.memoryUsage();
      return { records: logged - plan.warmupRecords, heapUsed: usage.heapUsed, rss: usage.rss, arrayBuffers: usage.arrayBuffers };
    };
    await logUntil(plan.warmupRecords);
    const baseline = await read();
    observer.observe({ entryTypes: ['gc'] });
    counting = true;
    const checkpoints = [baseline];
    for (const target of plan.checkpoints) {
      await logUntil(plan.warmupRecords + target);
      counting = false;
      checkpoints.push(await read());
      await nextTurn();
      counting = true;
    }
    counting = false;
    const last = checkpoints[checkpoints.length - 1]!;
    const stats = processor.stats();
    if (stats.written !== logged || stats.dropped !== 0 || stats.truncated !== 0)
      throw new Error(`memory cell: ring counted ${JSON.stringify(stats)} for ${logged} records logged`);
    const ringBytes = processor.handle.buffer.byteLength;
    return {
      capacity: stats.capacity,
      attributes: plan.attributes,
      messageBytes: Buffer.byteLength(body),
      records: last.records,
      ringBytes,
      ringBytesPerRecord: ringBytes / stats.capacity,
      slotFill: meanSlotFill(processor),
      maxRecordBytes: stats.maxRecordBytes,
      heapGrowth: last.heapUsed - baseline.heapUsed,
      rss: last.rss,
      gcMs,
      gcCount,
      checkpoints,
    };
  } finally {
    observer.disconnect();
    rmSync(directory, { recursive: true, force: true });
  }
}

/** Mean encoded length of the main lane's slots, from the slot table ([stamp, length] per slot). */
function meanSlotFill(processor: TTLogProcessor): number {
  const ring = openRingBuffer(processor.handle.buffer);
  let bytes = 0;
  for (let slot = 0; slot < ring.slotCount; slot++) bytes += ring.words[ring.slotTable + slot * SLOT_WORDS + 1]!;
  return bytes / ring.slotCount;
}
