/**
 * The heap-pressure trigger: one snapshot (reason `heap-pressure`) when the used V8 heap reaches a
 * share of its limit, the warning before an out-of-memory death that no JavaScript runs after.
 * Once per episode: it fires again only after usage has fallen below the ratio by
 * {@link REARM_MARGIN}, so a heap that hovers at the line does not write a file per look.
 *
 * The heap looked at is this thread's (`v8.getHeapStatistics` is per isolate), from an unref'd
 * timer. The snapshot goes through `target.write`, the recorder thread when there is one: the
 * capture and encoding then allocate in that thread's heap, not in the one that is running out.
 */
import { getHeapStatistics } from 'node:v8';
import type { HeapPressureSettings } from './options.ts';
import type { SnapshotTarget } from './snapshot-target.ts';

/** How far below the ratio usage must fall before the next episode can fire. */
const REARM_MARGIN = 0.1;

/** The heap-pressure trigger of one processor (see the top of this file). */
export class HeapPressureTrigger {
  private readonly timer: NodeJS.Timeout;
  private armed = true;

  constructor(
    private readonly target: SnapshotTarget,
    private readonly settings: HeapPressureSettings,
  ) {
    this.timer = setInterval(() => this.check(), settings.checkMs);
    this.timer.unref();
  }

  /** No more looks; a snapshot already being written finishes. */
  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    const { used_heap_size: used, heap_size_limit: limit } = getHeapStatistics();
    const share = used / limit;
    if (!this.armed) {
      if (share < this.settings.ratio - REARM_MARGIN) this.armed = true;
      return;
    }
    if (share < this.settings.ratio) return;
    this.armed = false;
    void this.target.write('heap-pressure', { usedHeapBytes: used, heapSizeLimitBytes: limit, ratio: this.settings.ratio });
  }
}
