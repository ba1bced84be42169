/**
 * The one record every candidate logs: a message and four attributes of mixed types — a string
 * enum value that repeats, an int, a boolean and a request id that is different for every record.
 * Every field is a pure function of the record's index, so a snapshot can be checked against it.
 */

export const MESSAGE = 'request handled';
export const SEVERITY_NUMBER = 9;
export const SEVERITY_TEXT = 'INFO';
export const SCOPE_NAME = 'ttlog-bench';
export const SCOPE_VERSION = '1.0.0';

const METHODS = ['GET', 'POST', 'PUT', 'DELETE'] as const;
const STATUS_CODES = [200, 201, 204, 404, 500] as const;

/** The attributes of record `index`, as a logger is given them and as a snapshot returns them. */
export type BenchAttributes = {
  'http.method': string;
  'http.status_code': number;
  'cache.hit': boolean;
  'request.id': string;
};

export function methodOf(index: number): string {
  return METHODS[index & 3]!;
}

export function statusOf(index: number): number {
  return STATUS_CODES[index % 5]!;
}

export function cacheHitOf(index: number): boolean {
  return index % 3 === 0;
}

/**
 * A random-looking 16-hex-digit id (64 bits, like a span id), a deterministic function of the
 * index: it compresses no better than a real random id, yet can be recomputed to check a file.
 */
export function requestIdOf(index: number): string {
  return hex32(mix32(index, 0x9e3779b9)) + hex32(mix32(index, 0x85ebca6b));
}

export function attributesOf(index: number): BenchAttributes {
  return {
    'http.method': methodOf(index),
    'http.status_code': statusOf(index),
    'cache.hit': cacheHitOf(index),
    'request.id': requestIdOf(index),
  };
}

/**
 * Request ids for the throughput loops. Computing a random-looking id costs more than some of the
 * candidates, so 65,536 of them are computed before timing starts (unique within any ring window,
 * and far beyond what the interner remembers, so ttlog stores each inline as it would a real id).
 * Each call still returns a new string object — a slice of the precomputed text — so that no
 * candidate gets a hash V8 cached on an earlier record: a real id is a fresh string every time.
 */
export const ID_POOL_MASK = 0xffff;
const ID_SOURCES: readonly string[] = Array.from({ length: ID_POOL_MASK + 1 }, (_, index) => `#${requestIdOf(index)}`);

export function pooledRequestId(index: number): string {
  return ID_SOURCES[index & ID_POOL_MASK]!.substring(1);
}

function mix32(index: number, seed: number): number {
  let x = Math.imul(index ^ seed, 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

function hex32(value: number): string {
  return value.toString(16).padStart(8, '0');
}
