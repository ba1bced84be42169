/** Waiting for files a snapshot writes in the background (each test's own timeout bounds the wait). */
import { readdirSync } from 'node:fs';

/** Resolves once `directory` holds `count` files whose names end with `suffix`. */
export async function waitForFiles(directory: string, suffix: string, count: number): Promise<void> {
  while (readdirSync(directory).filter((entry) => entry.endsWith(suffix)).length < count) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves once `directory` holds a file whose name ends with `suffix` (the test's own timeout bounds it). */
export async function waitForFile(directory: string, suffix: string): Promise<string> {
  for (;;) {
    const name = readdirSync(directory).find((entry) => entry.endsWith(suffix));
    if (name !== undefined) return name;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
