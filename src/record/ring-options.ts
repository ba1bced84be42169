/**
 * Ring sizes from user options: defaults, validation (a clear RangeError at construction, never
 * a failure later on the hot path) and rounding to what the layout needs.
 */
import type { RingSizes } from './ring-layout.ts';

/** The longest string value (UTF-16 units) considered for interning, unless maxInternedValueLength says otherwise. */
export const DEFAULT_INTERNED_VALUE_LENGTH = 64;
const DEFAULT_CAPACITY = 8192;
const DEFAULT_RECORD_BYTES = 1024;
/** Room for the fixed part, trace ids and a trimmed body; see record-encoder.ts. */
const MIN_RECORD_BYTES = 128;
const MAX_RECORD_BYTES = 1024 * 1024;
const DEFAULT_INTERN_CAPACITY = 4096;
const DEFAULT_INTERN_BYTES = 256 * 1024;

/** WARN: records at or above it also go to the reserve lane by default. */
const DEFAULT_RESERVE_SEVERITY = 13;
/** The reserve lane holds this fraction of the main lane's records by default. */
const DEFAULT_RESERVE_FRACTION = 8;
const MIN_RESERVE_CAPACITY = 64;

/** The ring's part of the processor's options, as the user gives them (`TTLogProcessorOptions` says what each means). */
export interface RingOptions {
  readonly severityLane?: false | { readonly minSeverity?: number | undefined; readonly capacity?: number | undefined } | undefined;
  readonly capacity?: number | undefined;
  readonly capacityBytes?: number | undefined;
  readonly maxRecordBytes?: number | undefined;
  readonly internCapacity?: number | undefined;
  readonly internBytes?: number | undefined;
}

/** The ring sizes `options` asks for, defaults filled in and rounded; throws a `RangeError` for a value out of range. */
export function ringSizes(options: RingOptions): RingSizes {
  const slotBytes = checkedInteger('maxRecordBytes', options.maxRecordBytes ?? DEFAULT_RECORD_BYTES, MIN_RECORD_BYTES, MAX_RECORD_BYTES);
  const alignedSlotBytes = (slotBytes + 7) & ~7;
  const requested =
    options.capacityBytes === undefined
      ? checkedInteger('capacity', options.capacity ?? DEFAULT_CAPACITY, 2, 2 ** 26)
      : Math.max(2, Math.floor(checkedInteger('capacityBytes', options.capacityBytes, 2 * MIN_RECORD_BYTES, 2 ** 40) / alignedSlotBytes));
  // Rounding capacity up, capacityBytes down: neither gives less than asked / more than allowed.
  const slotCount = options.capacityBytes === undefined ? 2 ** Math.ceil(Math.log2(requested)) : 2 ** Math.floor(Math.log2(requested));
  return {
    slotCount,
    slotBytes: alignedSlotBytes,
    reserve: reserveLane(options, slotCount),
    internCapacity: checkedInteger('internCapacity', options.internCapacity ?? DEFAULT_INTERN_CAPACITY, 0, 2 ** 24),
    internBytes: checkedInteger('internBytes', options.internBytes ?? DEFAULT_INTERN_BYTES, 0, 2 ** 30),
  };
}

function reserveLane(options: RingOptions, mainSlotCount: number): RingSizes['reserve'] {
  const lane = options.severityLane;
  if (lane === false) return undefined;
  const minSeverity = checkedInteger('severityLane.minSeverity', lane?.minSeverity ?? DEFAULT_RESERVE_SEVERITY, 1, 255);
  const requested = lane?.capacity ?? Math.max(MIN_RESERVE_CAPACITY, mainSlotCount / DEFAULT_RESERVE_FRACTION);
  const capacity = checkedInteger('severityLane.capacity', requested, 2, 2 ** 26);
  return { slotCount: 2 ** Math.ceil(Math.log2(capacity)), minSeverity };
}

/** Validates a record size option on its own (the exporter's, for records given to `export()`). */
export function checkedRecordBytes(value: number): number {
  return checkedInteger('maxRecordBytes', value, MIN_RECORD_BYTES, MAX_RECORD_BYTES);
}

function checkedInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`ttlog: ${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}
