/**
 * Snapshot file names: `ttlog-{service}-{pid}-{UTC time with ms}-{seq}-{reason}.bin`.
 * Service and reason are cut down to a safe character set, so a name can never hold a path
 * separator, start with a dot, or escape its directory.
 */

const UNSAFE = /[^A-Za-z0-9_.]+/g;
const MAX_PART = 64;

/** Letters, digits, `_` and `.` only; runs of anything else become `_`; never empty or dot-led. */
export function sanitizeNamePart(text: string): string {
  const safe = text
    .replace(UNSAFE, '_')
    .replace(/^[._]+/, '')
    .slice(0, MAX_PART);
  return safe === '' ? 'unknown' : safe;
}

/** `20261125T150647123Z`: sorts by time as text. */
function compactUtc(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('.', '');
}

/** The file name of a snapshot (see the top of this file); `seq` keeps names of one millisecond apart. */
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
const NAME = /^ttlog-([A-Za-z0-9_.]+)-(\d+)-(\d{8}T\d{9}Z)-(\d+)-([A-Za-z0-9_.]+)\.bin$/;

/**
 * Reads a snapshot file name back; `undefined` for any name ttlog did not make. Strict: the parts
 * must make exactly this name again, so a 13th month, a 30th of February, a pid or sequence
 * number with a leading zero, or a service or reason that sanitizing would have changed (a
 * leading `_`, more than 64 characters) mark a name ttlog did not write, which retention leaves alone.
 */
export function parseSnapshotFileName(name: string): SnapshotFileNameParts | undefined {
  const match = NAME.exec(name);
  if (match === null) return undefined;
  const [, service, pid, stamp, seq, reason] = match as unknown as [string, string, string, string, string, string];
  const digit = (from: number, to: number) => Number(stamp.slice(from, to));
  const time = Date.UTC(digit(0, 4), digit(4, 6) - 1, digit(6, 8), digit(9, 11), digit(11, 13), digit(13, 15), digit(15, 18));
  if (!Number.isFinite(time)) return undefined;
  const parts = { service, pid: Number(pid), time, seq: Number(seq), reason };
  return snapshotFileName(parts.service, parts.pid, new Date(time), parts.seq, parts.reason) === name ? parts : undefined;
}
