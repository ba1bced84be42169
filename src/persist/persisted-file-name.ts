/**
 * Persisted ring file names: `ttlog-{service}-{pid}-{start}-{random}.persist`, with the owner's
 * kernel start time (snapshot/process-identity.ts) so that two processes given the same pid
 * never share a name; the random part keeps two processors of one process apart. A file being
 * recovered is renamed first (`….persist.recovering-{space}-{pid}-{start}`, its recoverer's
 * identity): the rename is the claim, so two processes starting together never both recover it,
 * and one whose recoverer died is claimed again.
 */
import { randomBytes } from 'node:crypto';
import { sanitizeNamePart } from '../snapshot/file-name.ts';
import type { ProcessIdentity } from '../snapshot/process-identity.ts';

const PERSISTED = /^ttlog-[A-Za-z0-9_.]+-\d+-\d+-[0-9a-f]{8}\.persist$/;
const CLAIMED = /^(ttlog-[A-Za-z0-9_.]+-\d+-\d+-[0-9a-f]{8}\.persist)\.recovering-([0-9a-f]{12}|unknown)-([1-9]\d{0,9})-(0|[1-9]\d{0,19})$/;

/** A new persisted file name for `service` in this process. */
export function persistedFileName(service: string, self: ProcessIdentity): string {
  return `ttlog-${sanitizeNamePart(service)}-${self.pid}-${self.start}-${randomBytes(4).toString('hex')}.persist`;
}

/** Whether `name` is a persisted file's (not claimed). */
export function isPersistedFileName(name: string): boolean {
  return PERSISTED.test(name);
}

/** The name a claim by `self` gives the persisted file `name`. */
export function claimedFileName(name: string, self: ProcessIdentity): string {
  return `${name}.recovering-${self.space}-${self.pid}-${self.start}`;
}

/** A claimed file's recoverer; `undefined` for any other name. */
export function claimOwner(name: string): ProcessIdentity | undefined {
  const match = CLAIMED.exec(name);
  if (match === null) return undefined;
  const [, , space, pid, start] = match as unknown as [string, string, string, string, string];
  return { space, pid: Number(pid), start };
}

/** The persisted name inside a claimed one (or the name itself). */
export function unclaimedFileName(name: string): string {
  return CLAIMED.exec(name)?.[1] ?? name;
}
