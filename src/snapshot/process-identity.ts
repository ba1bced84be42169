/**
 * Who a process is, precisely enough for another process to tell later whether it is certainly
 * gone: the owner of a temp file (temp-file.ts). A pid alone is not enough: pids are reused
 * (soon, in a container with few processes), and a directory shared between containers sees the
 * pids of several pid namespaces. So an identity is (pid space, pid, start time):
 * - the pid space names the boot and the pid namespace (Linux: a hash of
 *   `/proc/sys/kernel/random/boot_id` and the `/proc/self/ns/pid` link), so a pid is only ever
 *   looked up in the space it belongs to;
 * - the start time is the kernel's (field 22 of `/proc/<pid>/stat`, clock ticks since boot), which
 *   a later process given the same pid cannot share.
 * Where these cannot be read (not Linux, no /proc), the space is {@link UNKNOWN_SPACE}, and no
 * owner is ever judged by lookup.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';

/** A process, as another process can later tell whether it is gone (see the top of this file). */
export interface ProcessIdentity {
  /** Which boot and pid namespace `pid` belongs to: 12 hex digits, or {@link UNKNOWN_SPACE}. */
  readonly space: string;
  readonly pid: number;
  /** The kernel's start time of the process, in clock ticks since boot, as decimal digits; `0` when unknown. */
  readonly start: string;
}

/** The pid space of a process that could not tell its own. */
export const UNKNOWN_SPACE = 'unknown';

/** What a lookup in this process's pid space says of another process. */
export type OwnerState = 'alive' | 'gone' | 'unknown';

/** Above the largest pid Linux hands out; larger numbers are no pid, and 0 or less would address a process group. */
const PID_LIMIT = 2 ** 22;

let self: ProcessIdentity | undefined;

/** This process's identity; read once. */
export function currentProcess(): ProcessIdentity {
  self ??= readCurrentProcess();
  return self;
}

/**
 * Whether the process `owner` names is still running: `gone` only when that is certain (same pid
 * space, and no process has the pid, or the one that has it started at another time); `unknown`
 * when it cannot be told (another boot or namespace, an identity without a space, a pid hidden by
 * /proc's `hidepid`).
 */
export function ownerState(owner: ProcessIdentity): OwnerState {
  const { space } = currentProcess();
  if (space === UNKNOWN_SPACE || owner.space !== space || !(owner.pid > 0 && owner.pid < PID_LIMIT)) return 'unknown';
  if (!pidExists(owner.pid)) return 'gone';
  const start = startTime(`/proc/${owner.pid}/stat`);
  if (start === undefined) return 'unknown';
  return start === owner.start ? 'alive' : 'gone';
}

function readCurrentProcess(): ProcessIdentity {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const namespace = readlinkSync('/proc/self/ns/pid');
    const start = startTime('/proc/self/stat');
    if (boot !== '' && start !== undefined) {
      const space = createHash('sha256').update(`${boot}\n${namespace}`).digest('hex').slice(0, 12);
      return { space, pid: process.pid, start };
    }
  } catch {
    // Not Linux, or /proc is not mounted: an identity nobody can look up.
  }
  return { space: UNKNOWN_SPACE, pid: process.pid, start: '0' };
}

/** Signal 0 checks that a pid exists without touching it; EPERM means it exists under another user. */
function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Field 22 of a `/proc/<pid>/stat`. The second field, the command name in parentheses, may itself
 * hold spaces and parentheses, so fields are counted from the last `)`.
 */
function startTime(statPath: string): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(statPath, 'utf8');
  } catch {
    return undefined;
  }
  const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  return start !== undefined && /^\d+$/.test(start) ? start : undefined;
}
