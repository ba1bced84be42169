/**
 * Options from `TTLOG_*` environment variables, so that an operator can size the ring, turn on
 * crash capture or bound the files a service leaves behind without a code change. They are
 * defaults: an option given in code wins. A value the variable does not take, or one its option
 * would refuse (out of range), is reported to `diag.warn` once per process and ignored, so the
 * environment never makes a constructor throw.
 *
 * The variables and what they take are listed in README.md ("Environment variables").
 */
import { diag } from '@opentelemetry/api';
import type { CrashCaptureOptions, SnapshotCodec, SnapshotTriggerOptions } from '../types.ts';

/** One variable: its name, what it takes (for the warning) and the options its text stands for. */
export interface EnvironmentVariable<T> {
  readonly name: string;
  readonly takes: string;
  /** `undefined`: not a value this variable takes. */
  readonly parse: (text: string) => Partial<T> | undefined;
}

/** The processor's options an environment variable can set. */
export interface ProcessorEnvironment extends SnapshotTriggerOptions {
  readonly capacity?: number;
  readonly maxRecordBytes?: number;
  readonly recorderThread?: boolean;
}

/** The exporter's options an environment variable can set; a retention limit of `Infinity` lifts that limit. */
export interface ExporterEnvironment {
  readonly directory?: string;
  readonly serviceName?: string;
  readonly maxFiles?: number;
  readonly maxBytes?: number;
  readonly maxAgeMs?: number;
  readonly codec?: SnapshotCodec;
}

const CODECS: readonly SnapshotCodec[] = ['lz4', 'deflate', 'zstd'];

/** The TTLOG_* variables a processor reads when it is made: each names what it takes and the option it sets. */
export const PROCESSOR_VARIABLES: readonly EnvironmentVariable<ProcessorEnvironment>[] = [
  { name: 'TTLOG_CAPACITY', takes: 'an integer', parse: (text) => option('capacity', integer(text)) },
  { name: 'TTLOG_MAX_RECORD_BYTES', takes: 'an integer', parse: (text) => option('maxRecordBytes', integer(text)) },
  {
    name: 'TTLOG_CAPTURE_CRASHES',
    takes: 'true, false or a comma-separated list of uncaught-exception, unhandled-rejection, signal, exit, on-demand and SIG… names',
    parse: (text) => option('captureCrashes', switchText(text) ?? crashList(text)),
  },
  {
    name: 'TTLOG_WATCHDOG',
    takes: 'true, false or a threshold in ms',
    parse: (text) => option('watchdog', switchText(text) ?? thresholdOf(integer(text))),
  },
  { name: 'TTLOG_INTERVAL_MS', takes: 'an integer number of ms', parse: (text) => option('intervalMs', integer(text)) },
  {
    name: 'TTLOG_SNAPSHOT_ON_SEVERITY',
    takes: 'true, false, a severity number or a severity name (TRACE, DEBUG, INFO, WARN, ERROR, FATAL)',
    parse: (text) => option('snapshotOnSeverity', switchText(text) ?? severityOf(text)),
  },
  {
    name: 'TTLOG_HEAP_PRESSURE',
    takes: 'true, false or a share of the heap limit (0.9)',
    parse: (text) => option('heapPressure', switchText(text) ?? ratioOf(text)),
  },
  { name: 'TTLOG_RECORDER_THREAD', takes: 'true or false', parse: (text) => option('recorderThread', switchText(text)) },
];

/** The TTLOG_* variables a SnapshotExporter reads when it is made, as PROCESSOR_VARIABLES. */
export const EXPORTER_VARIABLES: readonly EnvironmentVariable<ExporterEnvironment>[] = [
  { name: 'TTLOG_SNAPSHOT_DIR', takes: 'a directory', parse: (text) => ({ directory: text }) },
  { name: 'TTLOG_SERVICE_NAME', takes: 'a name', parse: (text) => ({ serviceName: text }) },
  { name: 'TTLOG_RETENTION_MAX_FILES', takes: 'an integer or off', parse: (text) => option('maxFiles', limit(text)) },
  { name: 'TTLOG_RETENTION_MAX_BYTES', takes: 'an integer or off', parse: (text) => option('maxBytes', limit(text)) },
  { name: 'TTLOG_RETENTION_MAX_AGE_MS', takes: 'an integer number of ms or off', parse: (text) => option('maxAgeMs', limit(text)) },
  {
    name: 'TTLOG_SNAPSHOT_CODEC',
    takes: 'lz4, deflate or zstd',
    parse: (text) =>
      option(
        'codec',
        CODECS.find((codec) => codec === text.toLowerCase()),
      ),
  },
];

/** The environment is the same for every constructor call, so each bad value is reported once per process. */
const reported = new Set<string>();

/**
 * The options `variables` set in `environment`. `validate` is the options' own check (it throws
 * a `RangeError` for a value out of range), run on each variable's options alone so that a
 * refused value is reported with the variable that set it. Unset and empty variables set nothing.
 */
export function optionsFromEnvironment<T extends object>(
  variables: readonly EnvironmentVariable<T>[],
  validate: (options: Partial<T>) => void,
  environment: NodeJS.ProcessEnv = process.env,
): Partial<T> {
  let options: Partial<T> = {};
  for (const variable of variables) {
    const text = environment[variable.name]?.trim();
    if (text === undefined || text === '') continue;
    const parsed = variable.parse(text);
    if (parsed === undefined) {
      warnOnce(`ttlog: ${variable.name}=${JSON.stringify(text)} ignored: it takes ${variable.takes}`);
      continue;
    }
    try {
      validate(parsed);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      warnOnce(`ttlog: ${variable.name}=${JSON.stringify(text)} ignored: ${reason.replace(/^ttlog: /, '')}`);
      continue;
    }
    options = { ...options, ...parsed };
  }
  return options;
}

function warnOnce(message: string): void {
  if (reported.has(message)) return;
  reported.add(message);
  diag.warn(message);
}

/** `{ [name]: value }`, or `undefined` when the value could not be read. */
function option<K extends string, V>(name: K, value: V | undefined): Record<K, V> | undefined {
  return value === undefined ? undefined : ({ [name]: value } as Record<K, V>);
}

function integer(text: string): number | undefined {
  return /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

function limit(text: string): number | undefined {
  return text.toLowerCase() === 'off' ? Number.POSITIVE_INFINITY : integer(text);
}

function switchText(text: string): boolean | undefined {
  const lower = text.toLowerCase();
  if (lower === 'true' || lower === 'on') return true;
  if (lower === 'false' || lower === 'off') return false;
  return undefined;
}

function thresholdOf(thresholdMs: number | undefined): { thresholdMs: number } | undefined {
  return thresholdMs === undefined ? undefined : { thresholdMs };
}

function ratioOf(text: string): { ratio: number } | undefined {
  return /^0?\.\d{1,15}$/.test(text) ? { ratio: Number(text) } : undefined;
}

/** The lowest severityNumber of each severity name (the OpenTelemetry log data model's ranges). */
const SEVERITY_NAMES: Readonly<Record<string, number>> = { TRACE: 1, DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17, FATAL: 21 };

function severityOf(text: string): { severityNumber: number } | undefined {
  const severityNumber = integer(text) ?? SEVERITY_NAMES[text.toUpperCase()];
  return severityNumber === undefined ? undefined : { severityNumber };
}

/** The crash triggers by the reason their snapshots carry, as an operator sees it in file names. */
const CRASH_TRIGGERS = ['uncaught-exception', 'unhandled-rejection', 'signal', 'exit', 'on-demand'] as const;

/** `uncaught-exception,exit` → only those triggers; `SIGTERM,SIGHUP` → those termination signals. */
function crashList(text: string): CrashCaptureOptions | undefined {
  const items = text.split(/[\s,]+/).filter((item) => item !== '');
  const signals = items.filter((item) => item.startsWith('SIG')) as NodeJS.Signals[];
  const triggers = new Set(items.filter((item) => !item.startsWith('SIG')).map((item) => item.toLowerCase()));
  if ([...triggers].some((trigger) => !(CRASH_TRIGGERS as readonly string[]).includes(trigger))) return undefined;
  // A signal left out keeps the option's default (the default termination signals, SIGUSR2 on demand).
  return {
    uncaughtException: triggers.has('uncaught-exception'),
    unhandledRejection: triggers.has('unhandled-rejection'),
    exit: triggers.has('exit'),
    ...(signals.length > 0 ? { signals } : triggers.has('signal') ? {} : { signals: false }),
    ...(triggers.has('on-demand') ? {} : { onDemandSignal: false }),
  };
}
