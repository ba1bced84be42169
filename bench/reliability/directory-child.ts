/**
 * The child process of the /proc directory case (directory-cases.ts): snapshots into the directory
 * given as its argument, then shuts down, each bounded, and prints how each ended as JSON. Its
 * parent kills it when it does not finish, so a snapshot that never settles stays in here.
 */
import { argv } from 'node:process';
import { otel } from '../../spec/support/otel.ts';
import { SnapshotExporter, TTLogProcessor } from '../../src/index.ts';
import { settle } from './directory-cases.ts';

const BOUND_MS = 60_000;
const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory: argv[2]!, serviceName: 'odd-dir' }), capacity: 64 });
const provider = new otel.LoggerProvider({ processors: [processor as never] });
provider.getLogger('directory-child').emit({ body: 'record 0', severityNumber: 9 });
const snapshot = await settle(processor.snapshot('odd'), BOUND_MS);
const shutdown = await settle(
  provider.shutdown().then(() => undefined),
  BOUND_MS,
);
console.log(JSON.stringify({ snapshot, shutdown }));
