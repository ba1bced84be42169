/**
 * Runs at most `limit` of the given tasks at once; the others wait their turn. The harnesses that
 * start child processes use it: each child is a Node process loading tsx and the SDK, and too many
 * at once on a small machine only make each of them slower.
 */
export function concurrencyLimit(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
