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
