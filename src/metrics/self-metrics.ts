/**
 * A processor's self-metrics through the OpenTelemetry metrics API: the ring's (owner only) and
 * its snapshots'. Without a metrics SDK the API's meter is a no-op, and nothing here runs per record.
 */
import { type MeterProvider, metrics } from '@opentelemetry/api';
import type { SnapshotOutcome } from '../snapshot/snapshot-writer.ts';
import type { RingStats } from '../types.ts';
import { VERSION } from '../version.ts';
import { nextComponent } from './component.ts';
import { observeRing } from './ring-metrics.ts';
import { snapshotRecorder } from './snapshot-metrics.ts';

/** Where a processor's self-metrics go and what they are of. */
export interface SelfMetricsOptions {
  /** Default: the global `MeterProvider`, whichever is registered at the time (see {@link SelfMetrics.connect}). */
  readonly meterProvider?: MeterProvider | undefined;
  /**
   * The ring's counters. Only the ring's owner passes them: processors attached in worker threads
   * write into the same ring, and reporting it from each would count it more than once.
   */
  readonly ring?: (() => RingStats) | undefined;
}

/** The self-metrics of one processor. */
export class SelfMetrics {
  private readonly component = nextComponent();
  private provider: MeterProvider | undefined;
  private stopRing: (() => void) | undefined;
  private recordSnapshot: ((outcome: SnapshotOutcome) => void) | undefined;
  private stopped = false;

  constructor(private readonly options: SelfMetricsOptions) {
    this.connect();
  }

  /**
   * Makes the instruments on the provider's meter, again when the global provider has changed.
   * The metrics API has no stand-in provider that forwards to one registered later, and the
   * global one usually is registered later: NodeSDK's `start()` comes after its processors were
   * made. So the processor calls this again at its first record, and each snapshot does.
   */
  connect(): void {
    if (this.stopped) return;
    const provider = this.options.meterProvider ?? metrics.getMeterProvider();
    if (provider === this.provider) return;
    this.stopRing?.();
    this.provider = provider;
    const meter = provider.getMeter('ttlog', VERSION);
    this.stopRing = this.options.ring === undefined ? undefined : observeRing(meter, this.options.ring, this.component);
    this.recordSnapshot = snapshotRecorder(meter, this.component);
  }

  /** For `SnapshotWriter.observe`: records one snapshot written or failed. */
  readonly snapshotDone = (outcome: SnapshotOutcome): void => {
    this.connect();
    this.recordSnapshot?.(outcome);
  };

  /** Stops reporting the ring (the processor is shut down). Safe to call more than once. */
  stop(): void {
    this.stopped = true;
    this.stopRing?.();
    this.stopRing = undefined;
  }
}
