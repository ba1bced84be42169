// Starts a TypeScript worker script (its file URL is the worker's first argument). Node 20 does
// not apply `--import tsx` from a Worker's execArgv, so tsx is registered here, in the worker —
// unless the spec/support/tsx-workers.mjs preload already did (the specs run these workers under
// it): a second registration compiles every module twice, which also spoils merged coverage.
import { argv } from 'node:process';
import { register } from 'tsx/esm/api';
import { TSX_REGISTERED } from '../spec/support/tsx-registered.mjs';

if (!globalThis[TSX_REGISTERED]) {
  register();
  globalThis[TSX_REGISTERED] = true;
}
await import(argv[2]);
