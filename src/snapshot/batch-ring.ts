/**
 * A batch of records given to `SnapshotExporter.export()` → a private ring holding exactly that
 * batch, so an exported batch is written by the same capture and encoder as a processor's ring.
 */

import type { LogRecordLike } from '../otel-types.ts';
import { createRingBuffer, openRingBuffer, type RingViews } from '../record/ring-layout.ts';
import { DEFAULT_INTERNED_VALUE_LENGTH, ringSizes } from '../record/ring-options.ts';
import { RingProducer } from '../record/ring-producer.ts';

/** A ring sized for `records` (slots of `maxRecordBytes`), with every record written into it. */
export function ringOfRecords(records: readonly LogRecordLike[], maxRecordBytes: number): RingViews {
  // One lane: a batch must arrive whole, and a reserve lane would hold only part of its warnings.
  const sizes = ringSizes({ capacity: Math.max(2, records.length), maxRecordBytes, severityLane: false });
  const ring = openRingBuffer(createRingBuffer(sizes));
  const producer = new RingProducer(ring, { maxInternedValueLength: DEFAULT_INTERNED_VALUE_LENGTH });
  for (const record of records) producer.write(record);
  return ring;
}
