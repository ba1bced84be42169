/** How a promise settled and how long it took. */
export interface Settlement {
  /** The rejection's error; undefined when the promise resolved. */
  readonly error: NodeJS.ErrnoException | undefined;
  readonly ms: number;
}

/**
 * How `promise` settled and how long it took; rejects once `giveUpMs` has passed, so that a
 * promise that never settles fails its test instead of hanging the spec.
 */
export async function settled(promise: Promise<unknown>, giveUpMs: number): Promise<Settlement> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const giveUp = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${giveUpMs} ms`)), giveUpMs);
  });
  try {
    const error = await Promise.race([
      promise.then(
        () => undefined,
        (caught: unknown) => caught as NodeJS.ErrnoException,
      ),
      giveUp,
    ]);
    return { error, ms: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}
