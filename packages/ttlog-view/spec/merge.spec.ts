import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BATCH_RECORDS, mergedBatches, mergeSources } from '../src/merge.ts';
import { openSources } from '../src/sources.ts';
import { at, CART, CHECKOUT, writeServiceSnapshot } from './support/snapshots.ts';

const directory = mkdtempSync(join(tmpdir(), 'ttlog-'));
const shop = join(directory, 'shop');
mkdirSync(shop);
const checkoutFile = await writeServiceSnapshot(shop, CHECKOUT);
const cartFile = await writeServiceSnapshot(shop, CART);

/** Merges `files` after `prepare` had its way with the opened sources; returns the batch sizes, the records as `file:body`, and the reports. */
async function merge(files: readonly string[], prepare: (sources: Awaited<ReturnType<typeof openSources>>) => Promise<void> = async () => undefined) {
  const sources = await openSources(files, (message) => assert.unreachable(message));
  await prepare(sources);
  const reports: string[] = [];
  const batches: number[] = [];
  const records: string[] = [];
  for await (const batch of mergedBatches(mergeSources(sources, (message) => reports.push(message)))) {
    batches.push(batch.length);
    for (const { source, record } of batch) records.push(`${source.index}:${String(record.body)}`);
  }
  await Promise.all(sources.map((source) => source.reader.close()));
  return { batches, records, reports };
}

test('records of several files come in timestamp order, in full batches, equal times in file order', async () => {
  const clocks = join(directory, 'clocks');
  mkdirSync(clocks);
  const count = 700;
  // Both files tick at the same instants: every timestamp is a tie between them.
  const tick = (name: string) => ({
    service: name,
    capacity: 1024,
    records: Array.from({ length: count }, (_, i) => ({ at: at(i), severityNumber: 9, body: `${name} ${i}` })),
  });
  const first = await writeServiceSnapshot(clocks, tick('a'));
  const second = await writeServiceSnapshot(clocks, tick('b'));
  const { batches, records, reports } = await merge([second, first]);
  assert.equal(reports, []);
  const total = 2 * count;
  assert.ok(total > 2 * BATCH_RECORDS && total % BATCH_RECORDS !== 0, 'full batches and a last partial one');
  assert.equal(batches, [...Array.from({ length: Math.floor(total / BATCH_RECORDS) }, () => BATCH_RECORDS), total % BATCH_RECORDS]);
  assert.equal(records, Array.from({ length: count }, (_, i) => [`0:b ${i}`, `1:a ${i}`]).flat());
});

test('a file that fails while being read is reported with its path; the other files are still merged', async () => {
  // A reader closed under the merge makes every read of that file fail (EBADF).
  const closeFirst = async (sources: Awaited<ReturnType<typeof openSources>>) => sources[0]!.reader.close();
  const both = await merge([checkoutFile, cartFile], closeFirst);
  assert.equal(both.reports, [`${checkoutFile}: file closed`]);
  assert.equal(
    both.records,
    CART.records.map((record) => `1:${typeof record.body === 'string' ? record.body : '[object Object]'}`),
  );

  const alone = await merge([checkoutFile], closeFirst);
  assert.equal(alone.reports, [`${checkoutFile}: file closed`]);
  assert.equal(alone.records, []);
  assert.equal(alone.batches, []);
});

test.after(() => rmSync(directory, { recursive: true, force: true }));

test.run();
