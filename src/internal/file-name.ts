/**
 * Snapshot file names: `ttlog-{service}-{pid}-{UTC time with ms}-{seq}-{reason}.bin`.
 * Service and reason are cut down to a safe character set, so a name can never hold a path
 * separator, start with a dot, or escape its directory.
 */

const UNSAFE = /[^A-Za-z0-9_.]+/g;
const MAX_PART = 64;

/** Letters, digits, `_` and `.` only; runs of anything else become `_`; never empty or dot-led. */
export function sanitizeNamePart(text: string): string {
  const safe = text.replace(UNSAFE, '_').replace(/^[._]+/, '').slice(0, MAX_PART);
  return safe === '' ? 'unknown' : safe;
}

/** `20261125T150647123Z`: sorts by time as text. */
export function compactUtc(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('.', '');
}

export function snapshotFileName(service: string, pid: number, date: Date, seq: number, reason: string): string {
  return `ttlog-${sanitizeNamePart(service)}-${pid}-${compactUtc(date)}-${seq}-${sanitizeNamePart(reason)}.bin`;
}

/** The parts of a name made by {@link snapshotFileName}; service and reason as sanitized. */
export interface SnapshotFileNameParts {
  readonly service: string;
  readonly pid: number;
  /** Milliseconds since the Unix epoch, from the name's UTC time. */
  readonly time: number;
  readonly seq: number;
  readonly reason: string;
}

/** Sanitized parts never contain `-`, so every field is found without guessing. */
const NAME = /^ttlog-([A-Za-z0-9_.]+)-(\d+)-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-(\d+)-([A-Za-z0-9_.]+)\.bin$/;

/** Reads a snapshot file name back; `undefined` for any name ttlog did not make. */
export function parseSnapshotFileName(name: string): SnapshotFileNameParts | undefined {
  const match = NAME.exec(name);
  if (match === null) return undefined;
  const [, service, pid, year, month, day, hour, minute, second, millisecond, seq, reason] = match as unknown as string[];
  const time = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), Number(millisecond));
  if (!Number.isFinite(time)) return undefined;
  return { service: service!, pid: Number(pid), time, seq: Number(seq), reason: reason! };
}
