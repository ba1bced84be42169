/**
 * The options each public constructor takes, for option-check.ts: the shared option types of
 * types.ts (the triggers, retention, the exporter). The processor's own top level is described in
 * processor.ts, next to its options type. Each schema is checked against its type, so an option
 * added to a type without a rule here fails the type check.
 */
import type {
  CrashCaptureOptions,
  HeapPressureOptions,
  PersistOptions,
  RetentionOptions,
  SeverityTriggerOptions,
  SnapshotExporterOptions,
  SnapshotTriggerOptions,
  WatchdogOptions,
} from '../types.ts';
import type { OptionRule, OptionSchema } from './option-check.ts';

const NUMBER: OptionRule = { kinds: ['number'] };
const BOOLEAN: OptionRule = { kinds: ['boolean'] };

const CRASH_CAPTURE_OPTIONS = {
  uncaughtException: BOOLEAN,
  unhandledRejection: BOOLEAN,
  signals: { kinds: ['false', 'array'] },
  exit: BOOLEAN,
  onDemandSignal: { kinds: ['false', 'string'] },
} as const satisfies OptionSchema<CrashCaptureOptions>;

const SEVERITY_TRIGGER_OPTIONS = { severityNumber: NUMBER, windowMs: NUMBER, minIntervalMs: NUMBER } as const satisfies OptionSchema<SeverityTriggerOptions>;

const WATCHDOG_OPTIONS = { thresholdMs: NUMBER } as const satisfies OptionSchema<WatchdogOptions>;

const HEAP_PRESSURE_OPTIONS = { ratio: NUMBER } as const satisfies OptionSchema<HeapPressureOptions>;

/** The trigger options, part of the processor's. */
export const TRIGGER_OPTIONS = {
  captureCrashes: { kinds: ['boolean', 'object'], fields: CRASH_CAPTURE_OPTIONS },
  intervalMs: NUMBER,
  snapshotOnSeverity: { kinds: ['boolean', 'object'], fields: SEVERITY_TRIGGER_OPTIONS },
  watchdog: { kinds: ['boolean', 'object'], fields: WATCHDOG_OPTIONS },
  heapPressure: { kinds: ['boolean', 'object'], fields: HEAP_PRESSURE_OPTIONS },
} as const satisfies OptionSchema<SnapshotTriggerOptions>;

/** The processor's `persist` option. */
export const PERSIST_OPTION: OptionRule = {
  kinds: ['boolean', 'object'],
  fields: { directory: { kinds: ['string'] }, intervalMs: NUMBER } as const satisfies OptionSchema<PersistOptions>,
};

const RETENTION_OPTIONS = {
  maxFiles: NUMBER,
  maxBytes: NUMBER,
  maxAgeMs: NUMBER,
  protectCrashSnapshots: BOOLEAN,
} as const satisfies OptionSchema<RetentionOptions>;

/** `new SnapshotExporter(options)`. */
export const EXPORTER_OPTIONS = {
  directory: { kinds: ['string'] },
  serviceName: { kinds: ['string'] },
  maxRecordBytes: NUMBER,
  fileSystem: { kinds: ['object'] },
  retention: { kinds: ['false', 'object'], fields: RETENTION_OPTIONS },
  timeoutMillis: NUMBER,
  codec: { kinds: ['string'] },
} as const satisfies OptionSchema<SnapshotExporterOptions>;
