/**
 * A worker thread for spec/record/typed-event.spec.ts: attaches to the ring in its workerData,
 * declares a typed event on the attached processor and emits `count` records of it, then says how
 * many it emitted and what the processor's stats said.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type RingHandle, TTLogProcessor } from '../../src/index.ts';

export interface EventWorkerData {
  readonly handle: RingHandle;
  readonly worker: number;
  readonly count: number;
}

const { handle, worker, count } = workerData as EventWorkerData;
const processor = TTLogProcessor.attach(handle);
const jobDone = processor.event('job.done', { severity: 'INFO', scope: `worker-${worker}`, attributes: { worker: 'int', index: 'int', 'job.kind': 'string' } });
for (let index = 0; index < count; index++) jobDone.emit({ worker, index, 'job.kind': index % 2 === 0 ? 'even' : 'odd' }, `job ${index}`);
await processor.shutdown();
parentPort!.postMessage({ emitted: count, stats: processor.stats() });
