/**
 * Heap growth: log through a `TTLogProcessor` with its defaults (a ring of 8192 slots) and a
 * unique request id in every record, and read `process.memoryUsage()` after a full GC at each
 * checkpoint. The ring is a SharedArrayBuffer (counted in `arrayBuffers`, not the JS heap) and the
 * interner is bounded, so the heap should stay flat from the first checkpoint on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SnapshotExporter, TTLogProcessor } from '../src/index.ts';
import { MESSAGE, SCOPE_NAME, SCOPE_VERSION, SEVERITY_NUMBER, SEVERITY_TEXT, attributesOf } from './record.ts';

export interface MemoryPlan {
  /** Record counts at which memory is read; ascending. The first is the baseline. */
  readonly checkpoints: readonly number[];
}

export interface MemoryCheckpoint {
  readonly records: number;
  readonly heapUsed: number;
  readonly rss: number;
  readonly arrayBuffers: number;
}

export interface MemoryResult {
  /** False when the process was started without --expose-gc: the figures would be noise. */
  readonly measured: boolean;
  readonly checkpoints: MemoryCheckpoint[];
  /** heapUsed at the last checkpoint minus at the first. */
  readonly heapGrowth: number;
  readonly written: number;
}

export async function measureMemory(plan: MemoryPlan): Promise<MemoryResult> {
  const collectGarbage = (globalThis as { gc?: () => void }).gc;
  if (collectGarbage === undefined) return { measured: false, checkpoints: [], heapGrowth: Number.NaN, written: 0 };
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-bench-'));
  try {
    const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory }) });
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'ttlog-bench' }),
      processors: [processor as never],
    });
    const logger = provider.getLogger(SCOPE_NAME, SCOPE_VERSION);
    const checkpoints: MemoryCheckpoint[] = [];
    let logged = 0;
    for (const target of plan.checkpoints) {
      for (; logged < target; logged++) {
        logger.emit({ severityNumber: SEVERITY_NUMBER, severityText: SEVERITY_TEXT, body: MESSAGE, attributes: attributesOf(logged) });
      }
      // Twice: the first pass can leave finalizer-held objects for the second.
      collectGarbage();
      collectGarbage();
      const usage = process.memoryUsage();
      checkpoints.push({ records: logged, heapUsed: usage.heapUsed, rss: usage.rss, arrayBuffers: usage.arrayBuffers });
    }
    const written = processor.stats().written;
    const first = checkpoints[0]!;
    const last = checkpoints[checkpoints.length - 1]!;
    return { measured: true, checkpoints, heapGrowth: last.heapUsed - first.heapUsed, written };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
