/**
 * The recorder thread itself (recorder-thread.ts is its main-thread side). It writes the
 * snapshots the main thread asks for — capture, encoding and the atomic write, all off the main
 * thread's event loop — one at a time, with a writer of its own made from the processor's writer
 * settings (same directory, service, retention and time limit; the default file system), and runs
 * the periodic jobs (recorder-jobs.ts) over the shared ring: the stall watch and persisting.
 *
 * OpenTelemetry's `diag` is per thread: what this thread's code reports to it is posted to the
 * main thread, which reports it there. So are the outcomes the writer tells, for the self-metrics.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import type { ResourceLike } from '../otel-types.ts';
import { openRingBuffer } from '../record/ring-layout.ts';
import { asError, type SnapshotOutcome, SnapshotWriter } from '../snapshot/snapshot-writer.ts';
import { type PersistJob, persistJob } from './persist-job.ts';
import { type RecorderJob, startJobs } from './recorder-jobs.ts';
import { type PlainOutcome, plainError, type RecorderData, type RecorderReply, type RecorderRequest } from './recorder-protocol.ts';
import { stallWatchJob } from './stall-watch.ts';

type SnapshotAsked = Extract<RecorderRequest, { type: 'snapshot' }>;

const data = workerData as RecorderData;
// Only ever run as a worker, where parentPort is set.
const port = parentPort!;
const ring = openRingBuffer(data.ring);
const writer = new SnapshotWriter(data.writer);
let resource: ResourceLike | undefined;

diag.setLogger({ error: forwardTo('error'), warn: forwardTo('warn'), info: ignore, debug: ignore, verbose: ignore }, DiagLogLevel.WARN);

/** The outcome the writer told for the write that is running now (the listener is called before that write returns). */
let told: SnapshotOutcome | undefined;
writer.observe((outcome) => {
  told = outcome;
});

/** Requests are written one at a time, in the order asked. */
let queue: Promise<void> = Promise.resolve();
let requestsOpen = 0;
/** While requests are open, tells the main thread this thread is alive, so its wait for a long write does not run out. */
let busyTimer: NodeJS.Timeout | undefined;

const jobs: RecorderJob[] = [];
if (data.stallWatch !== undefined) jobs.push(stallWatchJob(data.stallWatch, (cause) => writeOwnSnapshot('stall', cause)));
const persisting = data.persist === undefined ? undefined : startPersisting();
if (persisting !== undefined) jobs.push(persisting);
const running = startJobs(jobs, (error) => diag.error('ttlog: a recorder thread job failed', error));

port.on('message', (message: RecorderRequest) => {
  switch (message.type) {
    case 'snapshot':
      opened();
      queue = queue.then(() => writeAsked(message)).finally(closed);
      break;
    case 'resource':
      resource = { attributes: message.resource };
      persisting?.persister.setResource(message.resource);
      break;
    case 'stop-jobs':
      running.stop();
      persisting?.persister.close();
      break;
  }
});
Atomics.store(new Int32Array(data.started), 0, 1);

async function writeAsked(message: SnapshotAsked): Promise<void> {
  // Taken up: the main thread's wait starts again here, so time spent queued is not held against this write.
  post({ type: 'busy' });
  told = undefined;
  try {
    const path = await writer.write({
      ring,
      reason: message.reason,
      resource: message.resource === undefined ? undefined : { attributes: message.resource },
      cause: message.cause,
    });
    post({ type: 'written', id: message.id, path, outcome: plainOutcome(told) });
  } catch (error) {
    // The writer reported the failure to diag already.
    post({ type: 'failed', id: message.id, error: plainError(error), outcome: plainOutcome(told) });
  }
}

/** A snapshot the thread writes of its own accord; it may run between the steps of a requested write, whose outcome it keeps. */
function writeOwnSnapshot(reason: 'stall', cause: Readonly<Record<string, number>>): void {
  const requested = told;
  told = undefined;
  try {
    writer.writeSync({ ring, reason, resource, cause });
  } catch {
    // Reported to diag by the writer.
  }
  const outcome = plainOutcome(told);
  if (outcome !== undefined) post({ type: 'outcome', outcome });
  told = requested;
}

/** The persisted file, made and given its first batch; a failure (a full disk) is reported and leaves the process without it. */
function startPersisting(): PersistJob | undefined {
  try {
    return persistJob(ring, data.persist!);
  } catch (error) {
    diag.error(`ttlog: persisting the ring to ${data.persist!.path} failed to start`, error);
    return undefined;
  }
}

function opened(): void {
  requestsOpen++;
  if (busyTimer !== undefined) return;
  busyTimer = setInterval(() => post({ type: 'busy' }), Math.max(1, Math.floor(data.writer.timeoutMillis / 4)));
}

function closed(): void {
  requestsOpen--;
  if (requestsOpen > 0) return;
  clearInterval(busyTimer);
  busyTimer = undefined;
}

function plainOutcome(outcome: SnapshotOutcome | undefined): PlainOutcome | undefined {
  if (outcome === undefined) return undefined;
  const { reason, seconds, bytes, error } = outcome;
  return { reason, seconds, bytes, error: error === undefined ? undefined : plainError(error) };
}

function forwardTo(level: 'error' | 'warn') {
  return (message: string, ...args: unknown[]): void => {
    const details = args.map((arg) => (arg instanceof Error ? asError(arg).message : String(arg)));
    post({ type: 'diag', level, message: [message, ...details].join(' ') });
  };
}

function ignore(): void {}

function post(message: RecorderReply): void {
  port.postMessage(message);
}
