/**
 * `node:fs` for a `SnapshotExporter`'s `fileSystem` option with one failure injected: the
 * `failAt`th call (counting every call of either API, and of the file handles it opens) fails
 * with `code`. A write that fails first writes half its bytes, as a disk filling up does. Calls
 * go through a `Proxy`, so whatever subset of `node:fs` the writer uses is wrapped without listing
 * it here.
 */
import * as nodeFs from 'node:fs';
import type { SnapshotFileSystem } from '../../src/index.ts';

export interface Fault {
  /** Which call fails, from 1; 0 for none. */
  readonly failAt: number;
  readonly code: string;
}

/** Called before each call with its name and arguments; may act on the directory (plant a symlink, say). */
export type BeforeCall = (name: string, args: readonly unknown[]) => void;

export interface FaultyFileSystem {
  readonly fileSystem: SnapshotFileSystem;
  /** Calls made so far. */
  calls(): number;
}

export function errnoError(code: string, syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected failure, ${syscall}`), { code, syscall });
}

/** Names of the calls that close a descriptor. */
const CLOSES = new Set(['handle.close', 'closeSync']);

export function faultyFileSystem(fault: Fault, beforeCall: BeforeCall = () => undefined): FaultyFileSystem {
  let calls = 0;
  let failNextWrite = false;
  const fail = (name: string) => {
    const error = errnoError(fault.code, name);
    if (name.includes('.')) return Promise.reject(error);
    throw error;
  };
  /**
   * Runs `call` as the next call, or fails it. `partial`, for writes of more than one byte,
   * writes half the bytes instead, and the next write fails.
   */
  const next = (name: string, args: unknown[], call: (args: unknown[]) => unknown, partial?: () => unknown): unknown => {
    beforeCall(name, args);
    calls++;
    if (failNextWrite && partial !== undefined) {
      failNextWrite = false;
      return fail(name);
    }
    if (calls !== fault.failAt) return call(args);
    if (partial !== undefined) {
      const written = partial();
      if (written !== undefined) {
        failNextWrite = true;
        return written;
      }
    }
    // A close that fails has still closed: the descriptor must not leak from the test.
    if (CLOSES.has(name)) {
      const closed = call(args);
      if (closed instanceof Promise) return closed.then(() => fail(name));
    }
    return fail(name);
  };

  const wrapHandle = (handle: nodeFs.promises.FileHandle) =>
    new Proxy(handle, {
      get(target, key) {
        const value = Reflect.get(target, key, target);
        if (typeof value !== 'function' || typeof key !== 'string') return value;
        const call = (args: unknown[]) => value.apply(target, args);
        // handle.write(data, offset, length)
        const partial = (args: unknown[]) =>
          key === 'write' && (args[2] as number) > 1 ? call([args[0], args[1], Math.floor((args[2] as number) / 2)]) : undefined;
        return (...args: unknown[]) => next(`handle.${key}`, args, call, key === 'write' ? () => partial(args) : undefined);
      },
    });

  const promises = new Proxy(nodeFs.promises, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== 'function' || typeof key !== 'string') return value;
      return (...args: unknown[]) => {
        const result = next(`promises.${key}`, args, (passed) => value.apply(target, passed));
        return key === 'open' ? (result as Promise<nodeFs.promises.FileHandle>).then(wrapHandle) : result;
      };
    },
  });

  const fileSystem = new Proxy(nodeFs, {
    get(target, key) {
      if (key === 'promises') return promises;
      const value = Reflect.get(target, key, target);
      if (typeof value !== 'function' || typeof key !== 'string') return value;
      const call = (args: unknown[]) => value.apply(target, args);
      // writeSync(fd, data, offset, length)
      const partial = (args: unknown[]) => ((args[3] as number) > 1 ? call([args[0], args[1], args[2], Math.floor((args[3] as number) / 2)]) : undefined);
      return (...args: unknown[]) => next(key, args, call, key === 'writeSync' ? () => partial(args) : undefined);
    },
  }) as unknown as SnapshotFileSystem;

  return { fileSystem, calls: () => calls };
}
