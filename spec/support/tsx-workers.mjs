// Preload, given after `--import tsx`: lets worker threads that ttlog starts itself (the stall
// watchdog) load the TypeScript sources. Node runs `--import` preloads in every worker thread,
// but on Node 20 tsx registers its loader only on the main thread, and hooks registered there do
// not reach workers. (Newer Node runs tsx's own registration in workers too; a second one there
// only compiles twice, and coverage is collected on Node 20.) Production code never needs this:
// from dist/ the worker module is JavaScript.
import { isMainThread } from 'node:worker_threads';
import { register } from 'tsx/esm/api';
import { TSX_REGISTERED } from './tsx-registered.mjs';

if (!isMainThread && !globalThis[TSX_REGISTERED]) {
  register();
  globalThis[TSX_REGISTERED] = true;
}
