/**
 * The `persist` option's job on the recorder thread: a {@link RingPersister} over the shared ring,
 * ticked every `intervalMs`. It runs here, not on the main thread, so that a main thread that is
 * blocked, or busy running out of memory, still has its records copied until the process dies.
 */
import type { PersistJobData } from '../persist/persist-host.ts';
import { RingPersister } from '../persist/ring-persister.ts';
import type { RingViews } from '../record/ring-layout.ts';
import type { RecorderJob } from './recorder-jobs.ts';

/** The persisting job, and the persister behind it for what the thread tells it besides ticks. */
export interface PersistJob extends RecorderJob {
  readonly persister: RingPersister;
}

/** Makes the persisted file (throws when it cannot: a full disk, a directory gone) and writes its first batch. */
export function persistJob(ring: RingViews, data: PersistJobData): PersistJob {
  const persister = new RingPersister(ring, { path: data.path, owner: data.owner });
  persister.tick();
  return { everyMs: data.intervalMs, run: () => persister.tick(), persister };
}
