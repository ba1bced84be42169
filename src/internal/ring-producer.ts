/**
 * One thread's writer into a ring: takes a ticket, claims the slot, encodes the record in place,
 * commits. Never throws and never waits; anything that goes wrong is counted in the ring.
 */
import { diag } from '@opentelemetry/api';
import type { InstrumentationScopeLike, LogRecordLike } from '../otel-types.ts';
import { createCborEncoder } from './cbor.ts';
import { toFileEntries } from './file-values.ts';
import { Interner } from './intern-table.ts';
import { claimSlot, commitSlot } from './ring-capture.ts';
import { Header, type RingViews } from './ring-layout.ts';
import { RecordEncoder } from './record-encoder.ts';
import { incrementWide } from './wide-counter.ts';

export interface ProducerOptions {
  readonly maxInternedValueLength: number;
}

export class RingProducer {
  private readonly encoder: RecordEncoder;
  private reportedFailure = false;

  constructor(
    private readonly ring: RingViews,
    options: ProducerOptions,
  ) {
    const producerId = Atomics.add(ring.words, Header.NextProducerId, 1) & 0xffff;
    const interner = new Interner(ring, { maxValueLength: options.maxInternedValueLength });
    const cbor = createCborEncoder();
    const encodeScope = (scope: InstrumentationScopeLike): Uint8Array =>
      cbor.encode([scope.name, scope.version ?? null, scope.schemaUrl ?? null, scope.attributes === undefined ? null : toFileEntries(scope.attributes)]);
    this.encoder = new RecordEncoder(ring, interner, producerId, encodeScope);
  }

  write(record: LogRecordLike): void {
    const ring = this.ring;
    const ticket = incrementWide(ring.words, Header.Head);
    const start = claimSlot(ring, ticket);
    if (start < 0) return;
    let length = 0;
    try {
      length = this.encoder.encode(record, start, ring.slotBytes);
      if (this.encoder.wasTruncated) incrementWide(ring.words, Header.Truncated);
    } catch (error) {
      incrementWide(ring.words, Header.Dropped);
      this.reportFailure(error);
    }
    commitSlot(ring, ticket, length);
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
