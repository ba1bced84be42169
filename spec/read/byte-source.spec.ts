/**
 * Reads through the read-ahead window return the file's bytes, wherever they start and end:
 * inside a window, across two, longer than one, after a jump forward or back, past the end.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openByteSource, readingAhead } from '../../src/read/byte-source.ts';
import { seededRandom } from '../support/seeded-random.ts';

const MB = 1024 * 1024;
const directory = mkdtempSync(join(tmpdir(), 'ttlog-bytes-'));
const random = seededRandom(0xb17e);
const content = Buffer.from(Array.from({ length: 3.5 * MB }, () => Math.floor(random() * 256)));
const path = join(directory, 'bytes.bin');
writeFileSync(path, content);

test('reads in order, as the block scanner makes them, return the file bytes across window edges', async () => {
  const source = readingAhead(await openByteSource(path));
  let offset = 0;
  let reads = 0;
  while (offset < content.length) {
    // Block-like reads: a header, then a payload of up to 300 KB, and now and then one longer than a window.
    const length = reads % 7 === 6 ? 1.5 * MB : reads % 2 === 0 ? 20 : Math.floor(random() * 300_000);
    const bytes = await source.read(offset, length);
    assert.ok(bytes.equals(content.subarray(offset, offset + length)), `read ${reads} at ${offset}, ${length} bytes`);
    offset += length;
    reads++;
  }
  assert.is((await source.read(content.length - 10, 100)).length, 10);
  await source.close();
});

test('reads that jump forward and back still return the file bytes', async () => {
  const source = readingAhead(await openByteSource(path));
  const reads: Array<[number, number]> = [
    [0, 100],
    [2 * MB, 50],
    [MB - 10, 20],
    [3 * MB, 400_000],
    [10, 10],
    [3 * MB + 400_000, MB],
  ];
  for (const [offset, length] of reads) {
    const bytes = await source.read(offset, length);
    assert.ok(bytes.equals(content.subarray(offset, offset + length)), `${offset}, ${length}`);
  }
  await source.close();
});

test.after(() => rmSync(directory, { recursive: true, force: true }));

test.run();
