/**
 * The stall watchdog, end to end: the child blocks its main thread in a busy loop with a 1 s
 * threshold (until the stall file appears, or 3 s without ttlog), then logs once more and exits.
 * The recorder thread must have written one `stall` snapshot while the loop was blocked: all
 * records from before the loop, none from after it, and a recorded blocked time of at least the
 * threshold (it only fires past it).
 *
 * The second test runs the same child against the built package (dist/, compiled here into a
 * scratch directory under node_modules/.cache), where the recorder thread's worker module is a .js
 * file found next to the compiled recorder-thread.js: the path that ships.
 */

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bodies, expectedBodies, makeDirectory, RECORDS, readSnapshots, removeDirectory, runChild } from './fixtures/harness.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const cleanup: string[] = [];

async function checkStall(directory: string, env: Record<string, string> = {}) {
  const plainDirectory = makeDirectory();
  cleanup.push(directory, plainDirectory);
  const [withTtlog, plain] = await Promise.all([runChild('stall', directory, { env }), runChild('stall', plainDirectory, { mode: 'plain', env })]);
  assert.equal({ code: withTtlog.code, signal: withTtlog.signal }, { code: plain.code, signal: plain.signal });
  assert.is(withTtlog.code, 0, withTtlog.stderr);
  const files = await readSnapshots(directory);
  assert.equal(
    files.map((file) => file.snapshot.metadata.reason),
    ['stall'],
    `one snapshot per stall: ${withTtlog.stderr}`,
  );
  const { snapshot } = files[0]!;
  assert.equal(bodies(snapshot), expectedBodies(RECORDS), 'written while blocked: the record logged after the loop is not in it');
  assert.is(snapshot.metadata.cause?.thresholdMs, 1000);
  assert.ok(Number(snapshot.metadata.cause?.blockedMs) >= 1000, `blockedMs ${String(snapshot.metadata.cause?.blockedMs)}`);
  assert.is(snapshot.metadata.service, 'crash-child');
  assert.equal(snapshot.metadata.resource, { 'service.name': 'crash-child', scenario: 'stall' }, 'the resource reached the recorder thread');
  assert.is(snapshot.metadata.pid > 0, true);
}

test('a blocked event loop: the recorder thread writes one stall snapshot while the main thread is blocked', async () => {
  await checkStall(makeDirectory());
});

test('the watchdog works from the built package (dist/*.js)', async () => {
  const cache = join(ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const outDir = mkdtempSync(join(cache, 'ttlog-dist-'));
  cleanup.push(outDir);
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir], { cwd: ROOT, stdio: 'pipe' });
  await checkStall(makeDirectory(), { TTLOG_ENTRY: pathToFileURL(join(outDir, 'index.js')).href });
});

test.after(() => {
  for (const directory of cleanup) removeDirectory(directory);
});

test.run();
