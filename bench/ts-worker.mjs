// Starts a TypeScript worker script (its file URL is the worker's first argument). Node 20 does
// not apply `--import tsx` from a Worker's execArgv, so tsx is registered here, in the worker.
import { argv } from 'node:process';
import { register } from 'tsx/esm/api';

register();
await import(argv[2]);
