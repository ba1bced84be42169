/** The snapshot writer's self-metrics: one count, the time taken and the size of every snapshot, written or failed. */
import type { Meter } from '@opentelemetry/api';
import type { SnapshotOutcome } from '../snapshot/snapshot-writer.ts';
import type { ComponentAttributes } from './component.ts';

/**
 * Bucket bounds for the instruments' advice: the SDK's default bounds (0 to 10,000) suit
 * milliseconds, not seconds or bytes.
 */
const SECONDS_BOUNDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BYTES_BOUNDS = [1024, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216, 67_108_864];

/** Makes the snapshot instruments on `meter`; the returned function records one outcome. */
export function snapshotRecorder(meter: Meter, component: ComponentAttributes): (outcome: SnapshotOutcome) => void {
  const written = meter.createCounter('ttlog.snapshot.written', {
    unit: '{snapshot}',
    description: 'Snapshots written, or failed (with error.type).',
  });
  const duration = meter.createHistogram('ttlog.snapshot.duration', {
    unit: 's',
    description: 'Time from the request of a snapshot to its file in place, or to its failure.',
    advice: { explicitBucketBoundaries: SECONDS_BOUNDS },
  });
  const size = meter.createHistogram('ttlog.snapshot.size', {
    unit: 'By',
    description: 'Size of a written snapshot file.',
    advice: { explicitBucketBoundaries: BYTES_BOUNDS },
  });
  return (outcome) => {
    const attributes = { ...component, 'ttlog.snapshot.reason': outcome.reason };
    if (outcome.error !== undefined) {
      const failed = { ...attributes, 'error.type': errorType(outcome.error) };
      written.add(1, failed);
      duration.record(outcome.seconds, failed);
      return;
    }
    written.add(1, attributes);
    duration.record(outcome.seconds, attributes);
    size.record(outcome.bytes, attributes);
  };
}

/**
 * A failure's `error.type`: Node's system error code (`EACCES`, `ENOSPC`, …), which names the
 * cause with few values as the conventions ask, else the error's class name.
 */
function errorType(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code !== '' ? code : error.name || '_OTHER';
}
