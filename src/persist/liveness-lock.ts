/**
 * The lock that says a persisted file's owner is running: a Unix-domain socket listening in the
 * file's directory, opened on the main thread. The kernel closes it with the process, however the
 * process dies (SIGKILL, the OOM killer, a V8 abort), and never before: a socket does not depend
 * on JavaScript running, so an owner whose main thread is blocked still holds it (the kernel
 * queues connections; with the queue full, connecting fails with EAGAIN, which also says held).
 * Node has no `flock`; this is the equivalent it offers. A pid alone would not do: pids are
 * reused, soon in a container.
 *
 * A prober connects: a connection (or EAGAIN) means held; ECONNREFUSED (the socket file is there,
 * nobody listens) or ENOENT (it is gone) means free. Anything else counts as held: a file is
 * recovered only when its owner is certainly gone.
 *
 * A socket path is limited to ~107 bytes (`sun_path`). When the directory's path is too long for
 * it, the socket is a Linux abstract one (no file, named in the persisted file): that lock is seen
 * only from the same network namespace, so recovery then also requires the owner's pid lookup to
 * say gone (persist-recovery.ts).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { diag } from '@opentelemetry/api';
import type { PersistedOwner } from './persist-format.ts';

/** Bytes of a socket path the kernel takes, its terminating zero left out (Linux `sun_path` is 108). */
const MAX_SOCKET_PATH_BYTES = 107;
/** A probe that has no answer after this long counts as held. */
const PROBE_TIMEOUT_MS = 5000;

/** What a probe says of a lock. */
export type LockState = 'held' | 'free';

/** The lock a persisted file names: a socket listening for as long as this process runs. */
export class LivenessLock {
  private constructor(
    private readonly server: Server,
    /** How the persisted file names this lock. */
    readonly lock: PersistedOwner['lock'],
  ) {}

  /** Listens at a new socket in `directory` (0600), or at an abstract one when the path would be too long. Must run on the main thread. */
  static listen(directory: string): LivenessLock {
    const name = `.ttlog-${randomBytes(8).toString('hex')}.sock`;
    const path = join(directory, name);
    const server = createServer((connection) => connection.destroy());
    // Without a listener, a failure to accept would be an uncaught exception. A lock that failed to
    // listen is still backed by the owner's pid lookup (persist-recovery.ts).
    server.on('error', (error) => diag.error('ttlog: the persisted ring lock failed', error));
    if (Buffer.byteLength(path) <= MAX_SOCKET_PATH_BYTES) {
      // listen() binds a Unix socket synchronously, so the lock is held before the file exists.
      server.listen(path);
      chmodSync(path, 0o600);
      server.unref();
      return new LivenessLock(server, { kind: 'path', name });
    }
    // Abstract sockets are Linux's; elsewhere a path this long has no lock, and without a lock no file may be persisted.
    if (process.platform !== 'linux') throw new Error(`ttlog: the directory ${directory} is too long a path for the persisted ring's lock`);
    const abstractName = name.slice(1, -'.sock'.length);
    server.listen(`\0${abstractName}`);
    server.unref();
    return new LivenessLock(server, { kind: 'abstract', name: abstractName });
  }

  /** Stops listening; the socket file goes with it. */
  close(): void {
    this.server.close();
  }
}

/** Whether the lock `owner.lock` names, in `directory`, is held by a running process. */
export function probeLock(directory: string, lock: PersistedOwner['lock']): Promise<LockState> {
  const address = lock.kind === 'path' ? join(directory, lock.name) : `\0${lock.name}`;
  if (lock.kind === 'path' && Buffer.byteLength(address) > MAX_SOCKET_PATH_BYTES) return Promise.resolve('held');
  return new Promise((resolve) => {
    const socket = connect(address);
    const done = (state: LockState) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(state);
    };
    const timer = setTimeout(() => done('held'), PROBE_TIMEOUT_MS);
    socket.on('connect', () => done('held'));
    socket.on('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED' || error.code === 'ENOENT' ? 'free' : 'held'));
  });
}

/** The socket file a path lock leaves in `directory`, for removal once its persisted file is recovered. */
export function lockFilePath(directory: string, lock: PersistedOwner['lock']): string | undefined {
  return lock.kind === 'path' ? join(directory, lock.name) : undefined;
}
