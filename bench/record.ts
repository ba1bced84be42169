/**
 * The records every candidate logs: a message and six attributes of mixed types — string enum
 * values that repeat (method, route), an int, a double, a boolean and a request id that is
 * different for every record. Every field is a pure function of the record's index, so a
 * snapshot can be checked against it; every field but the id depends only on the index's low 16
 * bits, so the pooled id of a record (below) names all of its other fields too.
 */

export const MESSAGE = 'request handled';
/** The long message of the memory matrix: 256 bytes of ASCII text. */
export const LONG_MESSAGE = ('request handled after upstream retry; ' + 'x'.repeat(256)).slice(0, 256);
export const SEVERITY_NUMBER = 9;
export const SEVERITY_TEXT = 'INFO';
export const SCOPE_NAME = 'ttlog-bench';
export const SCOPE_VERSION = '1.0.0';

const METHODS = ['GET', 'POST', 'PUT', 'DELETE'] as const;
const ROUTES = ['/api/users/:id', '/api/orders', '/api/orders/:id', '/api/cart', '/health', '/api/search', '/api/login', '/api/items/:id'] as const;
const STATUS_CODES = [200, 200, 200, 201, 204, 304, 404, 500] as const;
const TENANTS = ['acme', 'globex', 'initech', 'umbrella'] as const;

/** The attributes of record `index`, as a logger is given them and as a snapshot returns them. */
export type BenchAttributes = Record<string, string | number | boolean> & { 'request.id': string };

/** How many attributes a record carries: 6 in the throughput, latency and snapshot runs; 4 and 8 in the memory matrix. */
export type AttributeCount = 4 | 6 | 8;
export const ATTRIBUTE_COUNT: AttributeCount = 6;

export function methodOf(index: number): string {
  return METHODS[index & 3]!;
}

export function routeOf(index: number): string {
  return ROUTES[(index >>> 2) & 7]!;
}

export function statusOf(index: number): number {
  return STATUS_CODES[(index >>> 5) & 7]!;
}

/** A double most of the time (an eighth of a millisecond resolution), an int one time in eight. */
export function durationOf(index: number): number {
  return ((index * 37) & 0x3ff) / 8;
}

export function cacheHitOf(index: number): boolean {
  return (index & 0x40) === 0;
}

/**
 * A random-looking 16-hex-digit id (64 bits, like a span id), a deterministic function of the
 * index: it compresses no better than a real random id, yet can be recomputed to check a file.
 */
export function requestIdOf(index: number): string {
  return hex32(mix32(index, 0x9e3779b9)) + hex32(mix32(index, 0x85ebca6b));
}

/**
 * The attributes of record `index` with its unique id, `count` of them: 4 (method, status, cache
 * hit, id), 6 (plus route and duration) or 8 (plus a user id int and a tenant string).
 */
export function attributesOf(index: number, count: AttributeCount = ATTRIBUTE_COUNT): BenchAttributes {
  return attributesWithId(index, requestIdOf(index), count);
}

function attributesWithId(index: number, id: string, count: AttributeCount): BenchAttributes {
  if (count === 4) return { 'http.method': methodOf(index), 'http.status_code': statusOf(index), 'cache.hit': cacheHitOf(index), 'request.id': id };
  if (count === 6) {
    return {
      'http.method': methodOf(index),
      'http.route': routeOf(index),
      'http.status_code': statusOf(index),
      duration_ms: durationOf(index),
      'cache.hit': cacheHitOf(index),
      'request.id': id,
    };
  }
  // Written out, not spread from the six: a spread object is built differently (and costs more to make and to read).
  return {
    'http.method': methodOf(index),
    'http.route': routeOf(index),
    'http.status_code': statusOf(index),
    duration_ms: durationOf(index),
    'cache.hit': cacheHitOf(index),
    'request.id': id,
    'user.id': 1000 + (index & 0x3ff),
    tenant: TENANTS[(index >>> 10) & 3]!,
  };
}

/**
 * Request ids for the timed loops. Computing a random-looking id costs more than some of the
 * candidates, so 65,536 of them are computed before timing starts (unique within any ring window
 * of the default size, and far beyond what the interner remembers, so ttlog stores each inline as
 * it would a real id). Each call still returns a new string object — a slice of the precomputed
 * text — so that no candidate gets a hash V8 cached on an earlier record: a real id is a fresh
 * string every time.
 */
export const ID_POOL_MASK = 0xffff;
const ID_SOURCES: readonly string[] = Array.from({ length: ID_POOL_MASK + 1 }, (_, index) => `#${requestIdOf(index)}`);

export function pooledRequestId(index: number): string {
  return ID_SOURCES[index & ID_POOL_MASK]!.substring(1);
}

/**
 * The attributes object a call site builds for record `index`: a fresh object with a fresh id
 * string, as application code creates one per log call. Every candidate's loop calls this.
 */
export function callSiteAttributes(index: number): BenchAttributes {
  return attributesWithId(index, pooledRequestId(index), ATTRIBUTE_COUNT);
}

let poolIndexes: Map<string, number> | undefined;

/**
 * Checks a record logged through {@link callSiteAttributes} from its attributes alone: its pooled
 * id names its index (modulo 65,536), which names every other field. Returns the pool index, or
 * -1 when the id is not one of the pool's or a field does not match it.
 */
export function checkCallSiteAttributes(attributes: Readonly<Record<string, unknown>>): number {
  poolIndexes ??= new Map(ID_SOURCES.map((source, index) => [source.substring(1), index]));
  const index = poolIndexes.get(attributes['request.id'] as string);
  if (index === undefined) return -1;
  const expected = callSiteAttributes(index);
  for (const key of Object.keys(expected)) if (attributes[key] !== expected[key]) return -1;
  return Object.keys(attributes).length === Object.keys(expected).length ? index : -1;
}

function mix32(index: number, seed: number): number {
  let x = Math.imul(index ^ seed, 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

function hex32(value: number): string {
  return value.toString(16).padStart(8, '0');
}
