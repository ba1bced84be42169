/**
 * The thread that hosts a ring's persistence (persist-host.ts): opens the ring, makes the
 * persisted file and ticks every `intervalMs`. Its interval keeps this thread's loop alive; the
 * worker itself is unref'd, so it never keeps the process alive.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openRingBuffer } from '../record/ring-layout.ts';
import type { PersistWorkerData, PersistWorkerMessage } from './persist-host.ts';
import { RingPersister } from './ring-persister.ts';

const data = workerData as PersistWorkerData;
const persister = new RingPersister(openRingBuffer(data.ring), { path: data.path, owner: data.owner });
const timer = setInterval(() => persister.tick(), data.intervalMs);
persister.tick();

parentPort?.on('message', (message: PersistWorkerMessage) => {
  if ('resource' in message) persister.setResource(message.resource);
  else {
    clearInterval(timer);
    persister.close();
    parentPort?.close();
  }
});
