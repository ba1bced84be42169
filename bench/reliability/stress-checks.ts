/**
 * What the torn-record stress checks in every snapshot it reads back: each record whole (its
 * checksum holds), not mixed from two writes (it is exactly record `i` of its producer, at that
 * record's severity, in that severity's lane), none repeated, each producer's records in its own
 * write order, and the accounting identity `written = captured + overwritten + skipped` in the
 * header and in each lane.
 */
import { isDeepStrictEqual } from 'node:util';
import { checksum, checksummedRecord } from '../../spec/support/record-checksum.ts';
import type { Snapshot, SnapshotCounters } from '../../src/index.ts';
import { stressSeverity } from './stress-worker.ts';

/** Counts over a whole run; every count but `snapshots` and `records` should stay 0. */
export interface StressCounts {
  snapshots: number;
  /** Records read back and checked. */
  records: number;
  /** Records that fail their own checksum. */
  torn: number;
  /** Records that pass it but are not exactly the record their producer and index name. */
  mixed: number;
  /** Records that appear twice in one snapshot. */
  repeated: number;
  /** A producer's records out of its write order within a lane. */
  misordered: number;
  /** Headers or lanes where the accounting identity fails, or the lanes do not add up. */
  accounting: number;
  /** The first few failures, described. */
  failures: string[];
}

export function noStressCounts(): StressCounts {
  return { snapshots: 0, records: 0, torn: 0, mixed: 0, repeated: 0, misordered: 0, accounting: 0, failures: [] };
}

const FAILURES_KEPT = 20;
const IDENTITY_KEYS = ['written', 'captured', 'overwritten', 'skipped'] as const;

function fail(counts: StressCounts, kind: 'torn' | 'mixed' | 'repeated' | 'misordered' | 'accounting', message: string): void {
  counts[kind]++;
  if (counts.failures.length < FAILURES_KEPT) counts.failures.push(`${kind}: ${message}`);
}

function identityHolds(counters: SnapshotCounters): boolean {
  return counters.written === counters.captured + counters.overwritten + counters.skipped;
}

function checkAccounting(snapshot: Snapshot, counts: StressCounts, label: string): void {
  const { counters, lanes } = snapshot.metadata;
  if (!identityHolds(counters)) fail(counts, 'accounting', `${label}: header ${JSON.stringify(counters)}`);
  lanes.forEach((lane, n) => {
    if (!identityHolds(lane)) fail(counts, 'accounting', `${label}: lane ${n} ${JSON.stringify(lane)}`);
  });
  for (const key of IDENTITY_KEYS) {
    const sum = lanes.reduce((total, lane) => total + lane[key], 0);
    if (sum !== counters[key]) fail(counts, 'accounting', `${label}: the lanes' ${key} add up to ${sum}, the header says ${counters[key]}`);
  }
  if (counters.captured !== snapshot.records.length || snapshot.metadata.records !== snapshot.records.length) {
    fail(counts, 'accounting', `${label}: ${snapshot.records.length} records read, header captured ${counters.captured}, records ${snapshot.metadata.records}`);
  }
}

/** Checks one snapshot read back, adding to `counts`; `producerIds` maps each producer to its ring producer id across the run. */
export function checkStressSnapshot(snapshot: Snapshot, counts: StressCounts, producerIds: Map<number, number>, label: string): void {
  counts.snapshots++;
  checkAccounting(snapshot, counts, label);
  const seen = new Set<string>();
  /** `producer:lane` → the last index read, for the write order. */
  const lastIndex = new Map<string, number>();
  for (const record of snapshot.records) {
    counts.records++;
    const attributes = record.attributes as { producer?: unknown; i?: unknown; sum?: unknown };
    if (typeof attributes.sum !== 'number' || checksum(record.body, record.attributes) !== attributes.sum) {
      fail(counts, 'torn', `${label}: seq ${record.seq} lane ${record.lane ?? 0}: ${JSON.stringify(record.body)?.slice(0, 80)}`);
      continue;
    }
    const producer = Number(attributes.producer);
    const i = Number(attributes.i);
    const expected = checksummedRecord(producer, i);
    const severity = stressSeverity(i);
    const lane = severity >= 13 ? 1 : undefined;
    if (!isDeepStrictEqual({ body: record.body, attributes: record.attributes }, expected) || record.severityNumber !== severity || record.lane !== lane) {
      fail(counts, 'mixed', `${label}: record ${producer}:${i} (seq ${record.seq}) is not the record it names`);
      continue;
    }
    const known = producerIds.get(producer);
    if (known === undefined) producerIds.set(producer, record.producer);
    else if (known !== record.producer) fail(counts, 'mixed', `${label}: record ${producer}:${i} has producer id ${record.producer}, earlier ${known}`);
    const key = `${producer}:${i}`;
    if (seen.has(key)) {
      fail(counts, 'repeated', `${label}: record ${key}`);
      continue;
    }
    seen.add(key);
    const order = `${producer}:${lane ?? 0}`;
    if ((lastIndex.get(order) ?? -1) >= i) fail(counts, 'misordered', `${label}: record ${key} after record ${producer}:${lastIndex.get(order)}`);
    lastIndex.set(order, i);
  }
}
