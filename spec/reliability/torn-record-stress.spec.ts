/**
 * The fast part of the torn-record stress (bench/stress.ts, docs/reliability.md): two producer
 * threads write checksummed records into one ring, warnings into its reserve lane, while the main
 * thread snapshots back to back and checks every record of every snapshot and the accounting of
 * every header and lane. The long run is `npm run stress`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkStressSnapshot, noStressCounts } from '../../bench/reliability/stress-checks.ts';
import { runStress } from '../../bench/reliability/stress-runner.ts';
import type { Snapshot, SnapshotRecord } from '../../src/index.ts';
import { checksummedRecord } from '../support/record-checksum.ts';

function record(producer: number, i: number, change: Partial<SnapshotRecord> = {}): SnapshotRecord {
  const { body, attributes } = checksummedRecord(producer, i);
  const warning = i % 5 === 0;
  return {
    seq: i,
    timestamp: BigInt(i),
    observedTimestamp: BigInt(i),
    severityNumber: warning ? 13 : 9,
    body,
    attributes: attributes as SnapshotRecord['attributes'],
    scope: { name: `producer-${producer}` },
    droppedAttributesCount: 0,
    producer,
    truncated: false,
    ...(warning ? { lane: 1 } : {}),
    ...change,
  };
}

function snapshotOf(records: SnapshotRecord[], counters = { written: 10, captured: records.length, overwritten: 10 - records.length, skipped: 0 }): Snapshot {
  const full = { ...counters, truncated: 0, dropped: 0 };
  return {
    metadata: { counters: full, lanes: [{ ...full, minSeverity: 0 }], records: records.length } as unknown as Snapshot['metadata'],
    records,
    damage: [],
  };
}

test('the checks find a torn record, a mixed one, a repeated one, one out of order and broken accounting', () => {
  const counts = noStressCounts();
  const ids = new Map<number, number>();
  checkStressSnapshot(snapshotOf([record(1, 1), record(1, 2)]), counts, ids, 'good');
  assert.equal([counts.torn, counts.mixed, counts.repeated, counts.misordered, counts.accounting], [0, 0, 0, 0, 0]);
  checkStressSnapshot(snapshotOf([record(1, 1, { body: 'p1:1:torn' })]), counts, ids, 'torn');
  checkStressSnapshot(snapshotOf([record(1, 2, { severityNumber: 13 })]), counts, ids, 'mixed');
  checkStressSnapshot(snapshotOf([record(1, 3), record(1, 3)]), counts, ids, 'repeated');
  checkStressSnapshot(snapshotOf([record(1, 4), record(1, 3)]), counts, ids, 'misordered');
  checkStressSnapshot(snapshotOf([record(1, 1)], { written: 10, captured: 1, overwritten: 8, skipped: 0 }), counts, ids, 'accounting');
  assert.equal([counts.torn, counts.mixed, counts.repeated, counts.misordered, counts.accounting], [1, 1, 1, 1, 2]);
});

test('two producer threads against continuous snapshots: no torn, mixed, repeated or misordered record; every header adds up', async () => {
  const report = await runStress({ records: 60_000, producers: 2, capacity: 512 });
  assert.equal(report.failures, []);
  assert.equal([report.torn, report.mixed, report.repeated, report.misordered, report.accounting], [0, 0, 0, 0, 0]);
  assert.is(report.written, 60_000);
  assert.ok(report.snapshots >= 2, `${report.snapshots} snapshots`);
  assert.ok(report.records > 512, `${report.records} records checked`);
});

test.run();
