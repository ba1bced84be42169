/**
 * The torn-record stress: producer threads (stress-worker.ts) attached to one ring write their
 * quotas of checksummed records while the main thread takes snapshots back to back; every
 * snapshot is read back (strictly: a damaged file is a failure too) and every record in it checked
 * (stress-checks.ts). After the producers stop, one more snapshot must account for the whole ring.
 */
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { readSnapshot, SnapshotExporter, TTLogProcessor } from '../../src/index.ts';
import { checkStressSnapshot, noStressCounts, type StressCounts } from './stress-checks.ts';
import type { StressWorkerSetup } from './stress-worker.ts';

export interface StressOptions {
  /** Records written in all, shared out among the producers. */
  readonly records: number;
  readonly producers: number;
  /** The ring's main lane; the reserve lane holds an eighth of it. */
  readonly capacity: number;
  /** Called after each snapshot with the counts so far and the records written so far. */
  readonly onProgress?: ((counts: StressCounts, written: number) => void) | undefined;
}

export interface StressReport extends StressCounts {
  readonly written: number;
  readonly seconds: number;
}

interface Producer {
  readonly ready: Promise<void>;
  readonly done: Promise<void>;
}

function startProducer(setup: StressWorkerSetup): Producer {
  const script = new URL('./stress-worker.ts', import.meta.url).href;
  const worker = new Worker(new URL('../../spec/support/ts-worker.mjs', import.meta.url), { argv: [script], workerData: setup });
  const message = (kind: 'ready' | 'done') =>
    new Promise<void>((resolve, reject) => {
      worker.on('message', (received: Record<string, unknown>) => {
        if (kind in received) resolve();
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`producer ${setup.producer} exited with code ${code} before it was ${kind}`)));
    });
  const ready = message('ready');
  const done = message('done');
  // Whichever of the two is not awaited when a producer fails must not become an unhandled rejection.
  ready.catch(() => undefined);
  done.catch(() => undefined);
  return { ready, done };
}

/** After every producer stopped, nothing is in flight: each lane holds its last records, or counts them as skipped. */
function checkQuiescent(
  counts: StressCounts,
  snapshotLanes: readonly { written: number; captured: number; overwritten: number; skipped: number }[],
  capacities: readonly number[],
): void {
  snapshotLanes.forEach((lane, n) => {
    const capacity = capacities[n] ?? 0;
    const held = Math.min(lane.written, capacity);
    if (lane.overwritten !== lane.written - held || lane.captured + lane.skipped !== held) {
      counts.accounting++;
      counts.failures.push(`accounting: the final snapshot's lane ${n} (capacity ${capacity}) is ${JSON.stringify(lane)}`);
    }
  });
}

export async function runStress(options: StressOptions): Promise<StressReport> {
  const started = performance.now();
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-stress-'));
  const processor = new TTLogProcessor({
    exporter: new SnapshotExporter({ directory, serviceName: 'stress' }),
    capacity: options.capacity,
    severityLane: { capacity: Math.max(64, options.capacity / 8) },
  });
  const counts = noStressCounts();
  const producerIds = new Map<number, number>();
  const startLine = new SharedArrayBuffer(4);
  const share = Math.ceil(options.records / options.producers);
  const producers = Array.from({ length: options.producers }, (_, n) =>
    startProducer({ handle: processor.handle, producer: n + 1, records: Math.min(share, options.records - n * share), startLine }),
  );
  const snapshotAndCheck = async (label: string) => {
    const path = await processor.snapshot('stress');
    const snapshot = await readSnapshot(path, { strict: true });
    unlinkSync(path);
    checkStressSnapshot(snapshot, counts, producerIds, label);
    return snapshot;
  };
  try {
    await Promise.all(producers.map((producer) => producer.ready));
    Atomics.store(new Int32Array(startLine), 0, 1);
    Atomics.notify(new Int32Array(startLine), 0);
    let running = true;
    const finished = Promise.all(producers.map((producer) => producer.done)).finally(() => {
      running = false;
    });
    while (running) {
      await snapshotAndCheck(`snapshot ${counts.snapshots + 1}`);
      options.onProgress?.(counts, processor.stats().written);
    }
    await finished;
    const last = await snapshotAndCheck('final snapshot');
    const stats = processor.stats();
    checkQuiescent(counts, last.metadata.lanes, [stats.capacity, stats.reserveCapacity]);
    if (last.metadata.counters.written !== options.records) {
      counts.accounting++;
      counts.failures.push(`accounting: ${options.records} records were written, the final snapshot counts ${last.metadata.counters.written}`);
    }
    return { ...counts, written: last.metadata.counters.written, seconds: (performance.now() - started) / 1000 };
  } finally {
    await processor.shutdown();
    rmSync(directory, { recursive: true, force: true });
  }
}
