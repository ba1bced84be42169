/**
 * Waiting for a promise, but no longer than a time limit: the hand-off's waits on an exporter
 * (its exports, `forceFlush`, `shutdown`) must end even when the exporter never answers.
 */

/** Resolves once `work` settles or `timeoutMillis` has passed, whichever comes first; never rejects. */
export function settleWithin(work: Promise<unknown>, timeoutMillis: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  // Not unref'd: someone awaits this wait, and when nothing else keeps the process up, this time
  // limit is what ends it.
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMillis);
  });
  const settled = work.then(
    () => undefined,
    () => undefined,
  );
  return Promise.race([settled, limit]).finally(() => clearTimeout(timer));
}
