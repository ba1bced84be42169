/**
 * A producer thread of the torn-record stress (stress-runner.ts): attaches to the shared ring and
 * logs its quota of checksummed records (spec/support/record-checksum.ts) as fast as it can, from
 * a start line shared with the other producers. Every fifth record is a warning, so the reserve
 * lane is written concurrently too.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { otel } from '../../spec/support/otel.ts';
import { checksummedRecord } from '../../spec/support/record-checksum.ts';
import { type RingHandle, TTLogProcessor } from '../../src/index.ts';

export interface StressWorkerSetup {
  readonly handle: RingHandle;
  /** Which producer this is (1, 2, …): the `producer` attribute of its records. */
  readonly producer: number;
  readonly records: number;
  /** Int32Array [start]: producers wait on it, so they all begin together. */
  readonly startLine: SharedArrayBuffer;
}

/** The severityNumber of record `i`: WARN (13, the reserve lane's) for every fifth, INFO (9) otherwise. */
export function stressSeverity(i: number): number {
  return i % 5 === 0 ? 13 : 9;
}

async function run(setup: StressWorkerSetup): Promise<void> {
  const processor = TTLogProcessor.attach(setup.handle);
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  const logger = provider.getLogger(`producer-${setup.producer}`);
  const startLine = new Int32Array(setup.startLine);
  parentPort!.postMessage({ ready: true });
  Atomics.wait(startLine, 0, 0);
  for (let i = 0; i < setup.records; i++) {
    const { body, attributes } = checksummedRecord(setup.producer, i);
    logger.emit({ body, attributes: attributes as never, severityNumber: stressSeverity(i) });
  }
  await provider.shutdown();
  parentPort!.postMessage({ done: setup.records });
}

if (parentPort !== null) await run(workerData as StressWorkerSetup);
