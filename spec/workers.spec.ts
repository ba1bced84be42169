import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readSnapshot, SnapshotExporter, type SnapshotRecord, TTLogProcessor } from '../src/index.ts';
import { Control, type LogSession } from './support/log-worker.ts';
import { otel } from './support/otel.ts';
import { checksum, checksummedRecord } from './support/record-checksum.ts';

const WORKERS = 3;
/** Producer 0 is the main thread, workers are 1..WORKERS. */
const PRODUCERS = WORKERS + 1;
const MAX_RECORDS_PER_PRODUCER = 1 << 20;
const SNAPSHOTS = 25;

interface RunningWorker {
  readonly worker: Worker;
  /** Resolves with the next message of the given kind. */
  next(kind: 'ready' | 'done'): Promise<number>;
}

function startWorker(producer: number): RunningWorker {
  // Node 20 does not apply `--import tsx` from a Worker's execArgv; ts-worker.mjs registers tsx itself.
  const script = new URL('./support/log-worker.ts', import.meta.url).href;
  const worker = new Worker(new URL('./support/ts-worker.mjs', import.meta.url), { argv: [script], workerData: { producer } });
  let failure: Error | undefined;
  const waiting = new Set<(error: Error) => void>();
  const fail = (error: Error) => {
    failure = error;
    for (const reject of waiting) reject(error);
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`worker ${producer} exited with code ${code}`)));
  return {
    worker,
    next: (kind) =>
      new Promise<number>((resolve, reject) => {
        if (failure !== undefined) return reject(failure);
        waiting.add(reject);
        const onMessage = (message: { ready?: boolean; done?: number }) => {
          if (kind === 'ready' ? message.ready !== true : message.done === undefined) return;
          worker.off('message', onMessage);
          waiting.delete(reject);
          resolve(message.done ?? 0);
        };
        worker.on('message', onMessage);
      }),
  };
}

let workers: RunningWorker[] = [];

test.before(() => {
  workers = Array.from({ length: WORKERS }, (_, n) => startWorker(n + 1));
});

test.after(async () => {
  for (const { worker } of workers) worker.postMessage('exit');
  await Promise.all(workers.map(({ worker }) => new Promise((resolve) => worker.once('exit', resolve))));
});

/** What producers publish about their records while they write (see support/log-worker.ts). */
interface Progress {
  readonly control: Int32Array;
  readonly finished: Int32Array;
  readonly ticketBounds: Float64Array[];
  readonly maybeDropped: Uint8Array[];
}

function newSession(handle: LogSession['handle']): { session: LogSession; progress: Progress } {
  const session: LogSession = {
    handle,
    control: new SharedArrayBuffer(8),
    finished: new SharedArrayBuffer(4 * PRODUCERS),
    ticketBounds: Array.from({ length: PRODUCERS }, () => new SharedArrayBuffer(8 * MAX_RECORDS_PER_PRODUCER)),
    maybeDropped: Array.from({ length: PRODUCERS }, () => new SharedArrayBuffer(MAX_RECORDS_PER_PRODUCER)),
  };
  const progress: Progress = {
    control: new Int32Array(session.control),
    finished: new Int32Array(session.finished),
    ticketBounds: session.ticketBounds.map((buffer) => new Float64Array(buffer)),
    maybeDropped: session.maybeDropped.map((buffer) => new Uint8Array(buffer)),
  };
  return { session, progress };
}

/** The first record index whose ticket is at least `ticket` (ticket bounds grow with the index). */
function firstAtOrAfter(bounds: Float64Array, count: number, ticket: number): number {
  let low = 0;
  let high = count;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (bounds[middle]! < ticket) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * Checks one snapshot: every record passes its checksum, records are in time order, each
 * producer keeps one producer id, and every record finished before the snapshot began whose
 * ticket was still inside the ring when the copy ended is present. Returns how many records
 * the last rule required.
 */
function checkSnapshot(
  records: readonly SnapshotRecord[],
  progress: Progress,
  finishedBefore: readonly number[],
  oldestSafeTicket: number,
  producerIds: Map<number, number>,
): number {
  const present = finishedBefore.map(() => new Set<number>());
  let previous = -1n;
  for (const record of records) {
    const { producer, i, sum } = record.attributes as { producer: number; i: number; sum: number };
    assert.is(checksum(record.body, record.attributes), sum, `record ${producer}:${i} passes its checksum`);
    assert.equal({ body: record.body, attributes: record.attributes }, checksummedRecord(producer, i));
    assert.ok(record.timestamp >= previous, 'records are ordered by timestamp');
    previous = record.timestamp;
    const known = producerIds.get(producer);
    if (known === undefined) producerIds.set(producer, record.producer);
    else assert.is(record.producer, known, `producer ${producer} keeps its id`);
    assert.is(record.truncated, false);
    present[producer]!.add(i);
  }
  let required = 0;
  finishedBefore.forEach((finished, producer) => {
    const bounds = progress.ticketBounds[producer]!;
    for (let i = firstAtOrAfter(bounds, finished, oldestSafeTicket); i < finished; i++) {
      // A record whose slot was still held by a stalled writer a lap behind is dropped and counted.
      if (progress.maybeDropped[producer]![i] === 1) continue;
      assert.ok(present[producer]!.has(i), `record ${producer}:${i} finished before the snapshot and was not overwritten, so it is in it`);
      required++;
    }
  });
  return required;
}

async function producersAgainstSnapshots(capacity: number): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-'));
  // On the main thread: the checks below rely on snapshot() copying the ring before it returns,
  // which a recorder thread, copying when it takes the request up, does not promise.
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory, serviceName: 'workers' }), capacity, recorderThread: false });
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  const mainLogger = provider.getLogger('main');
  const { session, progress } = newSession(processor.handle);
  const release = () => {
    Atomics.store(progress.control, Control.Stop, 1);
    Atomics.store(progress.control, Control.Start, 1);
    Atomics.notify(progress.control, Control.Start);
  };
  try {
    const ready = workers.map((worker) => worker.next('ready'));
    for (const { worker } of workers) worker.postMessage(session);
    await Promise.all(ready);
    const done = workers.map((worker) => worker.next('done'));
    Atomics.store(progress.control, Control.Start, 1);
    Atomics.notify(progress.control, Control.Start);

    const producerIds = new Map<number, number>();
    let required = 0;
    let mainIndex = 0;
    for (let round = 0; round < SNAPSHOTS; round++) {
      // The main thread is a producer too, between snapshots.
      for (let k = 0; k < 20; k++, mainIndex++) {
        const { body, attributes } = checksummedRecord(0, mainIndex);
        const before = processor.stats();
        progress.ticketBounds[0]![mainIndex] = before.written;
        mainLogger.emit({ body, attributes: attributes as never, severityNumber: 9 });
        if (processor.stats().dropped !== before.dropped) progress.maybeDropped[0]![mainIndex] = 1;
        Atomics.store(progress.finished, 0, mainIndex + 1);
      }
      const finishedBefore = Array.from({ length: PRODUCERS }, (_, producer) => Atomics.load(progress.finished, producer));
      // snapshot() copies the ring before it returns its promise; `written` right after it bounds
      // how far producers got during the copy, so no ticket from there minus capacity was overwritten.
      const pending = processor.snapshot(`round-${round}`);
      const writtenAfterCopy = processor.stats().written;
      const snapshot = await readSnapshot(await pending);
      const { written, captured, overwritten, skipped } = snapshot.metadata.counters;
      assert.is(written, captured + overwritten + skipped);
      assert.ok(written <= writtenAfterCopy, 'the copy happened before `written` was read');
      required += checkSnapshot(snapshot.records, progress, finishedBefore, writtenAfterCopy - capacity, producerIds);
    }

    Atomics.store(progress.control, Control.Stop, 1);
    const totals = await Promise.all(done);
    for (const [n, total] of totals.entries()) assert.is(total, Atomics.load(progress.finished, n + 1));
    assert.ok(
      totals.every((total) => total > capacity),
      `every worker wrote more than the ring holds (${totals.join(', ')})`,
    );

    // With every producer stopped, the last snapshot holds every record still in the ring.
    const last = await readSnapshot(await processor.snapshot('final'));
    const finished = Array.from({ length: PRODUCERS }, (_, producer) => Atomics.load(progress.finished, producer));
    assert.ok(checkSnapshot(last.records, progress, finished, processor.stats().written - capacity, producerIds) > 0);
    const counters = last.metadata.counters;
    assert.is(counters.overwritten, counters.written - capacity, 'nothing is overwritten while nobody writes');
    assert.is(counters.captured + counters.skipped, capacity);
    assert.ok(counters.skipped <= counters.dropped, 'with every producer stopped, only dropped tickets are missing');

    assert.equal([...producerIds.keys()].sort(), [0, 1, 2, 3], 'records of every producer appeared');
    assert.is(new Set(producerIds.values()).size, PRODUCERS, 'each producer has its own producer id');
    assert.ok(required > SNAPSHOTS, `${required} records were required to be present across the snapshots`);
  } finally {
    release();
    await provider.shutdown();
    rmSync(directory, { recursive: true, force: true });
  }
}

test('three workers and the main thread write while the main thread takes snapshots (capacity 256)', async () => {
  await producersAgainstSnapshots(256);
});

test('three workers and the main thread write while the main thread takes snapshots (capacity 128)', async () => {
  await producersAgainstSnapshots(128);
});

test.run();
