/**
 * Turns whatever was thrown (or a promise was rejected with) into a snapshot cause: type, message
 * and stack as text. Reading a thrown value can itself throw (a getter, a revoked proxy), so every
 * read is guarded: describing a crash must never cause another.
 */
import { types } from 'node:util';
import type { SnapshotCause } from './snapshot-target.ts';

/** Long stacks are cut here so a cause never dominates the file header. */
const MAX_TEXT = 16 * 1024;

/** A snapshot cause describing `value`, which reached ttlog through `origin` (such as `uncaughtException`); never throws. */
export function errorCause(value: unknown, origin: string): SnapshotCause {
  try {
    if (types.isNativeError(value) || value instanceof Error) {
      const error = value as Error & { code?: unknown };
      return {
        origin,
        type: text(error.name || error.constructor?.name || 'Error'),
        message: text(error.message),
        stack: text(error.stack ?? ''),
        ...(error.code === undefined ? {} : { code: text(error.code) }),
      };
    }
    return { origin, type: value === null ? 'null' : typeof value, message: text(value) };
  } catch {
    return { origin, type: 'unknown', message: '(the thrown value could not be read)' };
  }
}

function text(value: unknown): string {
  let result: string;
  try {
    result = typeof value === 'string' ? value : String(value);
  } catch {
    result = Object.prototype.toString.call(value);
  }
  return result.length > MAX_TEXT ? `${result.slice(0, MAX_TEXT)}…` : result;
}
