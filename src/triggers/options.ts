/**
 * Trigger options as the user gives them (`true`, an object, a number) → complete settings with
 * the defaults filled in. Nonsense values throw a `RangeError` from the processor's constructor,
 * like the ring's own options: a misconfigured flight recorder should fail at startup, not at the
 * crash it was meant to record.
 */
import type { CrashCaptureOptions, HeapPressureOptions, SeverityTriggerOptions, SnapshotTriggerOptions, WatchdogOptions } from '../types.ts';

/** `captureCrashes` with every default filled in (`CrashCaptureOptions` says what each means). */
export interface CrashCaptureSettings {
  readonly uncaughtException: boolean;
  readonly unhandledRejection: boolean;
  /** Termination signals that write a snapshot; empty when none does. */
  readonly signals: readonly NodeJS.Signals[];
  readonly exit: boolean;
  /** The signal that writes a snapshot and lets the process run on; `undefined` when there is none. */
  readonly onDemandSignal: NodeJS.Signals | undefined;
}

/** `snapshotOnSeverity` with every default filled in (`SeverityTriggerOptions` says what each means). */
export interface SeverityTriggerSettings {
  readonly severityNumber: number;
  readonly windowMs: number;
  readonly minIntervalMs: number;
}

/** `watchdog` with every default filled in, and the heartbeat worked out from its threshold. */
export interface WatchdogSettings {
  /** How long the event loop may stay blocked before a `stall` snapshot is written. */
  readonly thresholdMs: number;
  /**
   * How often the main thread beats and the watchdog looks: a twentieth of the threshold, at most
   * MAX_HEARTBEAT_MS, so a reported stall is within a tenth of the threshold of the truth. Each
   * wake-up costs an idle process CPU time (bench/crash-cost.ts, "idle CPU"; docs/crash-capture.md,
   * "Costs"), hence not more often.
   */
  readonly heartbeatMs: number;
}

/** `heapPressure` with every default filled in (`HeapPressureOptions` says what each means). */
export interface HeapPressureSettings {
  /** The share of V8's `heap_size_limit` the used heap must reach. */
  readonly ratio: number;
  /** How often the heap is looked at. */
  readonly checkMs: number;
}

/** Every trigger's settings; `undefined` for a trigger that is off. */
export interface TriggerSettings {
  readonly crashes: CrashCaptureSettings | undefined;
  /** The periodic snapshots' interval. */
  readonly intervalMs: number | undefined;
  readonly severity: SeverityTriggerSettings | undefined;
  readonly watchdog: WatchdogSettings | undefined;
  readonly heapPressure: HeapPressureSettings | undefined;
}

const SEVERITY_ERROR = 17;
const DEFAULT_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
const DEFAULT_ON_DEMAND_SIGNAL: NodeJS.Signals = 'SIGUSR2';
const DEFAULT_WINDOW_MS = 500;
const DEFAULT_MIN_INTERVAL_MS = 10_000;
const DEFAULT_STALL_THRESHOLD_MS = 5_000;
const MAX_HEARTBEAT_MS = 250;
const DEFAULT_HEAP_PRESSURE_RATIO = 0.9;
/**
 * How often the heap-pressure trigger looks: `v8.getHeapStatistics()` is cheap, but each look is
 * a wake-up of an idle process (as the watchdog's heartbeat, hence the same order of interval).
 */
const HEAP_PRESSURE_CHECK_MS = 250;
/** Node's timers hold at most 2^31 − 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Signals that cannot be caught, or that Node or the debugger own. */
const RESERVED_SIGNALS = new Set(['SIGKILL', 'SIGSTOP', 'SIGUSR1', 'SIGVTALRM', 'SIGPROF', 'SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL']);

/** The trigger settings `options` asks for; throws a `RangeError` for a value that cannot work. */
export function triggerSettings(options: SnapshotTriggerOptions): TriggerSettings {
  return {
    crashes: crashSettings(options.captureCrashes),
    intervalMs: options.intervalMs === undefined ? undefined : milliseconds('intervalMs', options.intervalMs, 1),
    severity: severitySettings(options.snapshotOnSeverity),
    watchdog: watchdogSettings(options.watchdog),
    heapPressure: heapPressureSettings(options.heapPressure),
  };
}

/** True when no trigger is on, so the processor needs none of this machinery. */
export function noTriggers(settings: TriggerSettings): boolean {
  return (
    settings.crashes === undefined &&
    settings.intervalMs === undefined &&
    settings.severity === undefined &&
    settings.watchdog === undefined &&
    settings.heapPressure === undefined
  );
}

function crashSettings(option: boolean | CrashCaptureOptions | undefined): CrashCaptureSettings | undefined {
  if (option === undefined || option === false) return undefined;
  const given: CrashCaptureOptions = option === true ? {} : option;
  const signals = given.signals === false ? [] : [...(given.signals ?? DEFAULT_SIGNALS)];
  const onDemandSignal = given.onDemandSignal === false ? undefined : (given.onDemandSignal ?? DEFAULT_ON_DEMAND_SIGNAL);
  for (const signal of [...signals, ...(onDemandSignal === undefined ? [] : [onDemandSignal])]) {
    if (typeof signal !== 'string' || !/^SIG[A-Z0-9]+$/.test(signal) || RESERVED_SIGNALS.has(signal)) {
      throw new RangeError(`ttlog: captureCrashes cannot use the signal ${String(signal)}`);
    }
  }
  if (onDemandSignal !== undefined && signals.includes(onDemandSignal)) {
    throw new RangeError(`ttlog: captureCrashes.onDemandSignal ${onDemandSignal} is also one of its termination signals`);
  }
  return {
    uncaughtException: given.uncaughtException ?? true,
    unhandledRejection: given.unhandledRejection ?? true,
    signals,
    exit: given.exit ?? true,
    onDemandSignal,
  };
}

function severitySettings(option: boolean | SeverityTriggerOptions | undefined): SeverityTriggerSettings | undefined {
  if (option === undefined || option === false) return undefined;
  const given: SeverityTriggerOptions = option === true ? {} : option;
  const severityNumber = given.severityNumber ?? SEVERITY_ERROR;
  if (!Number.isInteger(severityNumber) || severityNumber < 1 || severityNumber > 24) {
    throw new RangeError(`ttlog: snapshotOnSeverity.severityNumber must be an integer from 1 to 24, got ${String(severityNumber)}`);
  }
  return {
    severityNumber,
    windowMs: milliseconds('snapshotOnSeverity.windowMs', given.windowMs ?? DEFAULT_WINDOW_MS, 0),
    minIntervalMs: milliseconds('snapshotOnSeverity.minIntervalMs', given.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS, 0),
  };
}

function watchdogSettings(option: boolean | WatchdogOptions | undefined): WatchdogSettings | undefined {
  if (option === undefined || option === false) return undefined;
  const given: WatchdogOptions = option === true ? {} : option;
  const thresholdMs = milliseconds('watchdog.thresholdMs', given.thresholdMs ?? DEFAULT_STALL_THRESHOLD_MS, 50);
  return { thresholdMs, heartbeatMs: Math.max(1, Math.min(MAX_HEARTBEAT_MS, Math.floor(thresholdMs / 20))) };
}

function heapPressureSettings(option: boolean | HeapPressureOptions | undefined): HeapPressureSettings | undefined {
  if (option === undefined || option === false) return undefined;
  const ratio = (option === true ? undefined : option.ratio) ?? DEFAULT_HEAP_PRESSURE_RATIO;
  if (typeof ratio !== 'number' || !(ratio > 0 && ratio < 1)) {
    throw new RangeError(`ttlog: heapPressure.ratio must be a number between 0 and 1 (exclusive), got ${String(ratio)}`);
  }
  return { ratio, checkMs: HEAP_PRESSURE_CHECK_MS };
}

function milliseconds(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min || value > MAX_TIMER_MS) {
    throw new RangeError(`ttlog: ${name} must be an integer number of milliseconds from ${min} to ${MAX_TIMER_MS}, got ${String(value)}`);
  }
  return value;
}
