/**
 * A worker thread for spec/workers.spec.ts. For each session posted to it, it attaches to the
 * session's ring and logs checksummed records through its own LoggerProvider until told to stop.
 * For every record it publishes, before emitting, a lower bound of the record's ring ticket (the
 * ring's `written` count), and after emitting, that the record is finished; it flags records during
 * whose emit the ring's dropped count moved, since one of those may be a record the ring dropped.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type RingHandle, TTLogProcessor } from '../../src/index.ts';
import { otel } from './otel.ts';
import { checksummedRecord } from './record-checksum.ts';

export interface LogSession {
  readonly handle: RingHandle;
  /** Int32Array: [start, stop]. */
  readonly control: SharedArrayBuffer;
  /** Int32Array: records finished, per producer. */
  readonly finished: SharedArrayBuffer;
  /** Float64Array per producer: a lower bound of each record's ticket. */
  readonly ticketBounds: readonly SharedArrayBuffer[];
  /** Uint8Array per producer: 1 where the record may have been dropped. */
  readonly maybeDropped: readonly SharedArrayBuffer[];
}

export const Control = { Start: 0, Stop: 1 } as const;

async function runSession(producer: number, session: LogSession): Promise<number> {
  const processor = TTLogProcessor.attach(session.handle);
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  const logger = provider.getLogger(`worker-${producer}`);
  const control = new Int32Array(session.control);
  const finished = new Int32Array(session.finished);
  const ticketBounds = new Float64Array(session.ticketBounds[producer]!);
  const maybeDropped = new Uint8Array(session.maybeDropped[producer]!);
  parentPort!.postMessage({ ready: true });
  Atomics.wait(control, Control.Start, 0);
  let i = 0;
  for (; i < ticketBounds.length && Atomics.load(control, Control.Stop) === 0; i++) {
    const { body, attributes } = checksummedRecord(producer, i);
    const before = processor.stats();
    ticketBounds[i] = before.written;
    logger.emit({ body, attributes: attributes as never, severityNumber: 9 });
    if (processor.stats().dropped !== before.dropped) maybeDropped[i] = 1;
    Atomics.store(finished, producer, i + 1);
  }
  await provider.shutdown();
  return i;
}

if (parentPort !== null) {
  const { producer } = workerData as { producer: number };
  parentPort.on('message', (message: LogSession | 'exit') => {
    if (message === 'exit') parentPort!.close();
    else void runSession(producer, message).then((done) => parentPort!.postMessage({ done }));
  });
}
