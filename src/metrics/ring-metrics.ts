/**
 * The ring's self-metrics, read from the counters the ring already keeps in its shared header
 * (`TTLogProcessor.stats()`) when a metric reader collects: `onEmit` counts nothing extra, so
 * recording costs the same with a metrics SDK as without one.
 */
import type { BatchObservableCallback, Meter } from '@opentelemetry/api';
import type { RingStats } from '../types.ts';
import type { ComponentAttributes } from './component.ts';

/** `error.type` of the records the ring gave up on (`RingStats.dropped`). */
const DROPPED_ERROR_TYPE = 'dropped';

/**
 * Reports the ring behind `stats` through `meter`, one `stats()` read per collection for every
 * instrument. Returns the function that stops reporting.
 */
export function observeRing(meter: Meter, stats: () => RingStats, component: ComponentAttributes): () => void {
  const record = { unit: '{log_record}' };
  const processed = meter.createObservableCounter('otel.sdk.processor.log.processed', {
    ...record,
    description: 'The number of log records for which the processing has finished, either successful or failed.',
  });
  const capacity = meter.createObservableUpDownCounter('otel.sdk.processor.log.queue.capacity', {
    ...record,
    description: 'The maximum number of log records the queue of a given instance of an SDK log processor can hold.',
  });
  const size = meter.createObservableUpDownCounter('otel.sdk.processor.log.queue.size', {
    ...record,
    description: 'The number of log records in the queue of a given instance of an SDK log processor.',
  });
  const overwritten = meter.createObservableCounter('ttlog.ring.overwritten', { ...record, description: 'Log records pushed out of the ring by newer ones.' });
  const truncated = meter.createObservableCounter('ttlog.ring.truncated', { ...record, description: 'Log records trimmed to fit a ring slot.' });
  const dropped = { ...component, 'error.type': DROPPED_ERROR_TYPE };
  // A record that is dropped after it took its place in the ring counts as written first and as
  // dropped a moment later; holding the success count at its highest keeps the counter monotonic
  // when a collection falls between the two.
  let succeeded = 0;
  const observe: BatchObservableCallback = (result) => {
    const ring = stats();
    const slots = ring.capacity + ring.reserveCapacity;
    succeeded = Math.max(succeeded, ring.written - ring.dropped);
    result.observe(processed, succeeded, component);
    result.observe(processed, ring.dropped, dropped);
    result.observe(capacity, slots, component);
    // Each lane holds its last min(written, capacity) records; written and overwritten are read
    // one after the other while other threads write, hence the clamp.
    result.observe(size, Math.min(Math.max(ring.written - ring.overwritten, 0), slots), component);
    result.observe(overwritten, ring.overwritten, component);
    result.observe(truncated, ring.truncated, component);
  };
  const observables = [processed, capacity, size, overwritten, truncated];
  meter.addBatchObservableCallback(observe, observables);
  return () => meter.removeBatchObservableCallback(observe, observables);
}
