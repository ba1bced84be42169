import type { Test } from 'uvu';

/** The start of the line that names a skipped test and why; spec/run.js lists these lines. */
export const SKIP_LINE = 'skipped: ';

/**
 * Registers `name` as skipped and says why. uvu counts `test.skip` in its summary but keeps no
 * reason, and a test that returns early would count as passed; so the reason goes to stdout on a
 * line of its own, which spec/run.js prints with the file and in the leg's list of skips.
 */
export function skipTest(test: Test, name: string, reason: string): void {
  test.skip(name);
  console.log(`${SKIP_LINE}${name}: ${reason}`);
}
