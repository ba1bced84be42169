/**
 * One thread's writer into a ring: takes a ticket, claims the slot, encodes the record in place,
 * commits. Never throws and never waits; anything that goes wrong is counted in the ring.
 */
import { diag } from '@opentelemetry/api';
import { createCborEncoder } from '../format/cbor.ts';
import { toFileEntries } from '../format/file-values.ts';
import type { InstrumentationScopeLike, LogRecordLike } from '../otel-types.ts';
import { Interner } from './intern-table.ts';
import { RecordEncoder } from './record-encoder.ts';
import { Header, type LaneViews, type RingViews } from './ring-layout.ts';
import { claimSlot, commitSlot } from './slot-claim.ts';
import { Fixed } from './slot-record.ts';
import { incrementWide } from './wide-counter.ts';

/** Settings of a producer that are not in the ring itself. */
export interface ProducerOptions {
  readonly maxInternedValueLength: number;
}

/** Writes log records into one ring from one thread (see the top of this file). */
export class RingProducer {
  /**
   * This thread's producer id, interner and scope encoding, shared with its typed events
   * (typed-event.ts), whose records then carry the same ids as the ones written here.
   */
  readonly producerId: number;
  readonly interner: Interner;
  readonly encodeScope: (scope: InstrumentationScopeLike) => Uint8Array;
  private readonly encoder: RecordEncoder;
  private readonly reserve: LaneViews | undefined;
  /** The reserve lane's lowest severityNumber; +Infinity without one, so the comparison is always false. */
  private readonly reserveSeverity: number;
  private reportedFailure = false;

  constructor(
    private readonly ring: RingViews,
    options: ProducerOptions,
  ) {
    this.producerId = Atomics.add(ring.words, Header.NextProducerId, 1) & 0xffff;
    this.interner = new Interner(ring, { maxValueLength: options.maxInternedValueLength });
    const cbor = createCborEncoder();
    this.encodeScope = (scope) =>
      cbor.encode([scope.name, scope.version ?? null, scope.schemaUrl ?? null, scope.attributes === undefined ? null : toFileEntries(scope.attributes)]);
    this.encoder = new RecordEncoder(ring, this.interner, this.producerId, this.encodeScope);
    this.reserve = ring.lanes[1];
    this.reserveSeverity = this.reserve?.minSeverity ?? Number.POSITIVE_INFINITY;
  }

  /** Records `record` in its lane (the reserve lane for warnings and errors, when there is one). Never throws. */
  write(record: LogRecordLike): void {
    const ring = this.ring;
    // Warnings and errors go to the reserve lane, when the ring has one (docs/architecture.md).
    const lane = (record.severityNumber as number) >= this.reserveSeverity ? this.reserve! : ring;
    const ticket = incrementWide(ring.words, lane.base + Header.Head);
    const start = claimSlot(ring, ticket, lane);
    if (start < 0) return;
    // Records with the same timestamp keep their emission order in a snapshot: with one lane the
    // ticket says it; across two lanes one more shared counter does (docs/architecture.md).
    ring.uint32[(start + Fixed.Order) >> 2] = this.reserve === undefined ? ticket : Atomics.add(ring.words, Header.Order, 1);
    let length = 0;
    try {
      length = this.encoder.encode(record, start, lane.slotBytes);
      if (this.encoder.wasTruncated) incrementWide(ring.words, lane.base + Header.Truncated);
    } catch (error) {
      incrementWide(ring.words, lane.base + Header.Dropped);
      this.reportFailure(error);
    }
    commitSlot(ring, ticket, length, lane);
  }

  /** Counts a record that failed before it reached the ring. */
  drop(error: unknown): void {
    incrementWide(this.ring.words, Header.Dropped);
    this.reportFailure(error);
  }

  private reportFailure(error: unknown): void {
    if (this.reportedFailure) return;
    this.reportedFailure = true;
    diag.warn('ttlog: a log record could not be recorded (counted as dropped; further failures are counted silently)', error);
  }
}
