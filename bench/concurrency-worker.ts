/**
 * One producer thread of the concurrency benchmark (concurrency.ts): its own LoggerProvider, with
 * a processor attached to the main thread's ring (`TTLogProcessor.attach`) or a no-op one, or a
 * typed event of the attached processor (`typed`), without the SDK. On each
 * `run` message it waits at the shared start line, logs its records and reports its start and end.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { type RingHandle, TTLogProcessor } from '../src/index.ts';
import { otelEmitter, typedEventEmitter } from './candidates.ts';
import { SCOPE_VERSION } from './record.ts';

export interface WorkerSetup {
  readonly worker: number;
  readonly handle: RingHandle | undefined;
  /** Log through a typed event of the attached processor instead of the SDK. */
  readonly typed: boolean;
  /** Int32Array over a SharedArrayBuffer: [0] is the generation of the run that may start. */
  readonly startLine: SharedArrayBuffer;
  readonly warmupRecords: number;
}

export interface RunMessage {
  readonly generation: number;
  readonly from: number;
  readonly count: number;
}

export interface DoneMessage {
  readonly worker: number;
  readonly startedAt: number;
  readonly endedAt: number;
}

const setup = workerData as WorkerSetup;
let calls = 0;
const processor =
  setup.handle === undefined ? { onEmit: () => void calls++, forceFlush: async () => {}, shutdown: async () => {} } : TTLogProcessor.attach(setup.handle);
const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'ttlog-bench' }), processors: [processor as never] });
const one =
  setup.typed && processor instanceof TTLogProcessor
    ? typedEventEmitter(processor)
    : otelEmitter(provider.getLogger(`ttlog-bench-worker-${setup.worker}`, SCOPE_VERSION));
const startLine = new Int32Array(setup.startLine);

for (let i = 0; i < setup.warmupRecords; i++) one(i);
parentPort!.postMessage('ready');
parentPort!.on('message', (message: RunMessage | 'close') => {
  if (message === 'close') {
    void provider.shutdown().then(() => parentPort!.close());
    return;
  }
  parentPort!.postMessage('armed');
  while (Atomics.load(startLine, 0) < message.generation) Atomics.wait(startLine, 0, message.generation - 1, 1000);
  const startedAt = performance.timeOrigin + performance.now();
  const end = message.from + message.count;
  for (let i = message.from; i < end; i++) one(i);
  const done: DoneMessage = { worker: setup.worker, startedAt, endedAt: performance.timeOrigin + performance.now() };
  parentPort!.postMessage(done);
});
