/**
 * Crash capture: process hooks that write a snapshot synchronously when the process dies or is
 * asked to stop, then leave the process to do exactly what it would have done without ttlog.
 *
 * - uncaught exceptions through `uncaughtExceptionMonitor`, which observes without handling, so
 *   Node still prints the error and exits with its usual code;
 * - unhandled rejections: in the default `throw` mode (and `strict`) they reach the same monitor
 *   with origin `unhandledRejection`; see rejection-mode.ts for the other modes;
 * - SIGTERM/SIGINT: snapshot, then if nobody else listens, re-raise the signal with our listener
 *   removed, so the process dies by that signal as it would have; an application's own handlers
 *   simply run after ours. With a hand-off, the records not handed off yet go first: the signal
 *   is re-raised once that hand-off settles (it is bounded by its time limit), or at once on a
 *   second signal; with the application's handlers, it runs while they do;
 * - `process.exit()` and the end of the loop, through the `exit` event;
 * - an on-demand signal that snapshots and does nothing else.
 *
 * Process hooks are process-wide, so the listeners are too: one listener per event serves every
 * processor that captures crashes (module state on purpose; with one listener per processor, two
 * processors would each see the other's signal listener as "the application's" and neither would
 * re-raise the signal). Each processor still writes its own ring once per crash: its
 * {@link CrashLatch} remembers that the crash snapshot is written, so the `exit` event that follows
 * an uncaught exception, or a signal handler that calls `process.exit`, writes nothing more.
 */
import { isMainThread } from 'node:worker_threads';
import type { SnapshotReason } from '../snapshot/snapshot-reason.ts';
import { errorCause } from './error-cause.ts';
import type { CrashCaptureSettings } from './options.ts';
import { mayListenForRejections, unhandledRejectionsMode } from './rejection-mode.ts';
import type { SnapshotTarget } from './snapshot-target.ts';

/** One processor's memory of the crash it has recorded. */
export class CrashLatch {
  /** The crash snapshot is written (or the crash was recorded under another reason). */
  fatalWritten = false;
  /** A value rethrown by worker-error capture: when it reaches the monitor it is already in a file. */
  rethrown: unknown = NOT_RETHROWN;
}

const NOT_RETHROWN = Symbol('ttlog.notRethrown');

interface Registration {
  readonly target: SnapshotTarget;
  readonly settings: CrashCaptureSettings;
  readonly latch: CrashLatch;
  rejectionWrite: Promise<unknown> | undefined;
}

const registrations = new Set<Registration>();
/** Marks our signal listeners, so that another copy of this module does not count them as the application's. */
const OWN_LISTENER = Symbol.for('ttlog.crashCaptureListener');
const signalListeners = new Map<NodeJS.Signals, NodeJS.SignalsListener>();

/** Starts crash capture for one processor; the returned function stops it. */
export function captureCrashes(target: SnapshotTarget, settings: CrashCaptureSettings, latch: CrashLatch): () => void {
  const registration: Registration = { target, settings, latch, rejectionWrite: undefined };
  registrations.add(registration);
  updateListeners();
  return () => {
    registrations.delete(registration);
    updateListeners();
  };
}

/** Adds the listeners some registration needs and removes the ones none needs any more. */
function updateListeners(): void {
  const all = [...registrations];
  toggle(
    'uncaughtExceptionMonitor',
    onUncaughtException,
    all.some((r) => r.settings.uncaughtException || r.settings.unhandledRejection),
  );
  const listenForRejections = mayListenForRejections(unhandledRejectionsMode());
  toggle('unhandledRejection', onUnhandledRejection, listenForRejections && all.some((r) => r.settings.unhandledRejection));
  toggle(
    'exit',
    onExit,
    all.some((r) => r.settings.exit),
  );
  // Signals reach only the main thread; in a worker, process.on(signal) would never fire.
  const wanted = new Set<NodeJS.Signals>();
  if (isMainThread) {
    for (const r of all) {
      for (const signal of r.settings.signals) wanted.add(signal);
      if (r.settings.onDemandSignal !== undefined) wanted.add(r.settings.onDemandSignal);
    }
  }
  for (const [signal, listener] of signalListeners) {
    if (!wanted.has(signal)) {
      process.removeListener(signal, listener);
      signalListeners.delete(signal);
    }
  }
  for (const signal of wanted) {
    if (signalListeners.has(signal)) continue;
    const listener = Object.assign((received: NodeJS.Signals) => onSignal(received), { [OWN_LISTENER]: true });
    signalListeners.set(signal, listener);
    // First in line, so the snapshot is written even when the application's handler exits at once.
    process.prependListener(signal, listener);
  }
}

function toggle(event: 'uncaughtExceptionMonitor' | 'unhandledRejection' | 'exit', listener: (...args: never[]) => void, on: boolean): void {
  const present = (process.listeners(event as 'exit') as unknown[]).includes(listener);
  if (on && !present) process.on(event, listener as never);
  if (!on && present) process.removeListener(event, listener as never);
}

/** Writes the one crash snapshot of a registration, unless it is already written. */
function writeCrashSnapshot(registration: Registration, reason: SnapshotReason, cause: Record<string, string | number | boolean>): void {
  if (registration.latch.fatalWritten) return;
  registration.latch.fatalWritten = true;
  registration.target.writeSync(reason, cause);
}

function onUncaughtException(error: unknown, origin: string): void {
  const fromRejection = origin === 'unhandledRejection';
  for (const registration of registrations) {
    if (registration.latch.rethrown === error) {
      registration.latch.fatalWritten = true;
      continue;
    }
    if (!(fromRejection ? registration.settings.unhandledRejection : registration.settings.uncaughtException)) continue;
    writeCrashSnapshot(registration, fromRejection ? 'unhandled-rejection' : 'uncaught-exception', errorCause(error, origin));
  }
  // With an `uncaughtException` handler of its own, the application may survive this. If the loop
  // turns again it did, and the next crash deserves its own snapshot; if the handler exits now,
  // the latch keeps the `exit` event from writing a second one.
  if (process.listenerCount('uncaughtException') > 0) setImmediate(releaseLatches).unref();
}

function releaseLatches(): void {
  for (const registration of registrations) registration.latch.fatalWritten = false;
}

/** Only listened to in `warn` and `none` modes, where the process keeps running. */
function onUnhandledRejection(reason: unknown): void {
  for (const registration of registrations) {
    // A storm of rejections shares the write in flight instead of queueing one file each.
    if (!registration.settings.unhandledRejection || registration.rejectionWrite !== undefined) continue;
    registration.rejectionWrite = registration.target.write('unhandled-rejection', errorCause(reason, 'unhandledRejection')).finally(() => {
      registration.rejectionWrite = undefined;
    });
  }
}

function onExit(code: number): void {
  for (const registration of registrations) {
    if (registration.settings.exit) writeCrashSnapshot(registration, 'exit', { exitCode: code ?? 0 });
  }
}

/** Signals whose re-raise waits for a hand-off: a second one of them ends the wait. */
const handingOff = new Set<NodeJS.Signals>();

function onSignal(signal: NodeJS.Signals): void {
  if (handingOff.has(signal)) {
    reraise(signal);
    return;
  }
  let terminating = false;
  const handoffs: Promise<unknown>[] = [];
  for (const registration of registrations) {
    if (registration.settings.onDemandSignal === signal) {
      void registration.target.write('on-demand', { signal });
    } else if (registration.settings.signals.includes(signal)) {
      terminating = true;
      const first = !registration.latch.fatalWritten;
      writeCrashSnapshot(registration, 'signal', { signal });
      if (first && registration.target.handoffBeforeExit !== undefined) handoffs.push(registration.target.handoffBeforeExit());
    }
  }
  if (!terminating) return;
  const others = process.listeners(signal).filter((listener) => !(OWN_LISTENER in listener));
  if (others.length > 0) return; // the application handles this signal; its handlers run next
  if (handoffs.length === 0) {
    reraise(signal);
    return;
  }
  // Our listener stays while the hand-off runs, so the signal cannot end the process under it.
  handingOff.add(signal);
  void Promise.all(handoffs).then(() => {
    if (handingOff.delete(signal)) reraise(signal);
  });
}

/**
 * Without listeners Node leaves the signal's default action in place, which ends the process by
 * that signal: step aside and let it happen, so the exit status is what it would have been.
 */
function reraise(signal: NodeJS.Signals): void {
  handingOff.delete(signal);
  const listener = signalListeners.get(signal);
  if (listener !== undefined) process.removeListener(signal, listener);
  signalListeners.delete(signal);
  process.kill(process.pid, signal);
}
