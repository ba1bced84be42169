/** Set on a worker's global object once tsx is registered in that worker (tsx-workers.mjs, ts-worker.mjs). */
export const TSX_REGISTERED = Symbol.for('ttlog.spec.tsxRegistered');
