/**
 * The stall watchdog's thread (see watchdog.ts). Polls the main thread's heartbeat; when it has
 * not moved for the threshold, writes one snapshot of the shared ring (reason `stall`, with how
 * long the loop had been blocked) and waits for the heartbeat to move again before it can fire
 * again. Its own event loop is never blocked by the main thread, so its timers keep running.
 *
 * The blocked time is measured from the last heartbeat this thread saw move, so it can exceed the
 * true block by up to one heartbeat plus one poll interval (options.ts, `heartbeatMs`).
 *
 * It writes with a writer of its own, made from the main thread's writer settings: same
 * directory, service and retention, the default file system.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ResourceLike } from '../otel-types.ts';
import { openRingBuffer } from '../record/ring-layout.ts';
import { SnapshotWriter } from '../snapshot/snapshot-writer.ts';
import { BEAT, type WatchdogData, type WatchdogMessage } from './watchdog.ts';

const data = workerData as WatchdogData;
const ring = openRingBuffer(data.ring);
const heartbeat = new Int32Array(data.heartbeat);
const writer = new SnapshotWriter(data.writer);
let resource: ResourceLike | undefined;
let lastBeat = Atomics.load(heartbeat, BEAT);
let lastBeatAt = performance.now();
let reported = false;

parentPort?.on('message', (message: { resource?: Record<string, unknown> }) => {
  if (message.resource !== undefined) resource = { attributes: message.resource };
});

setInterval(() => {
  const now = performance.now();
  const beat = Atomics.load(heartbeat, BEAT);
  if (beat !== lastBeat) {
    if (reported) post({ type: 'stall-ended', blockedMs: now - lastBeatAt });
    lastBeat = beat;
    lastBeatAt = now;
    reported = false;
    return;
  }
  const blockedMs = now - lastBeatAt;
  if (reported || blockedMs < data.thresholdMs) return;
  reported = true;
  try {
    writer.writeSync({ ring, reason: 'stall', resource, cause: { blockedMs: Math.round(blockedMs), thresholdMs: data.thresholdMs } });
  } catch (error) {
    post({ type: 'write-failed', message: error instanceof Error ? error.message : String(error) });
  }
}, data.pollMs);

function post(message: WatchdogMessage): void {
  parentPort?.postMessage(message);
}
