/**
 * Everything on the main thread that writes a snapshot without being asked, for one processor:
 * crash capture, periodic snapshots, the severity trigger, heap pressure and watched workers. The
 * processor creates this only when one of them is configured (or a worker is watched) and stops
 * it on shutdown. The stall watchdog is not here: it is a job of the processor's recorder thread
 * (src/recorder/), since a blocked main thread cannot watch itself.
 */
import type { Worker } from 'node:worker_threads';
import { CrashLatch, captureCrashes } from './crash-capture.ts';
import { HeapPressureTrigger } from './heap-pressure.ts';
import type { TriggerSettings } from './options.ts';
import { PeriodicSnapshots } from './periodic.ts';
import { SeverityTrigger } from './severity-trigger.ts';
import type { SnapshotTarget } from './snapshot-target.ts';
import { watchWorker } from './worker-errors.ts';

/** The triggers one processor's options turn on, started together and stopped together. */
export class SnapshotTriggers {
  /** Set when the severity trigger is on; the processor calls its `hit` from `onEmit`. */
  readonly severity: SeverityTrigger | undefined;
  private readonly latch = new CrashLatch();
  private readonly stops: (() => void)[] = [];
  private readonly watched = new WeakSet<Worker>();

  constructor(
    private readonly target: SnapshotTarget,
    settings: TriggerSettings,
  ) {
    if (settings.crashes !== undefined) this.stops.push(captureCrashes(target, settings.crashes, this.latch));
    if (settings.intervalMs !== undefined) {
      const periodic = new PeriodicSnapshots(target, settings.intervalMs);
      this.stops.push(() => periodic.stop());
    }
    if (settings.severity !== undefined) {
      const severity = new SeverityTrigger(target, settings.severity);
      this.severity = severity;
      this.stops.push(() => severity.stop());
    }
    if (settings.heapPressure !== undefined) {
      const heapPressure = new HeapPressureTrigger(target, settings.heapPressure);
      this.stops.push(() => heapPressure.stop());
    }
  }

  /** Snapshots the ring (reason `worker-error`) when `worker` dies of an error. Watching twice is a no-op. */
  watchWorker(worker: Worker): void {
    if (this.watched.has(worker)) return;
    this.watched.add(worker);
    this.stops.push(watchWorker(worker, this.target, this.latch));
  }

  /** Stops every trigger and stops watching workers; a snapshot already being written finishes. */
  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
  }
}
