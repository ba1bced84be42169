/**
 * Interning: repeated strings become small integer ids that a record stores instead of bytes.
 *
 * The table lives in the ring's SharedArrayBuffer and is append-only: an id is claimed with
 * `Atomics.add`, its bytes written, and only then its state published, so an id never changes
 * meaning and a snapshot taken from any thread resolves it. Each producer (thread) keeps its own
 * `Map` from string to id in front of the table; two threads that intern the same string get two
 * ids for it — wasteful at worst, never ambiguous, and no producer ever waits for another.
 * The table is bounded in entries and bytes; once full, strings are stored inline.
 */
import { Header, INTERN_ENTRY_WORDS, type RingViews } from './ring-layout.ts';

/** The kind word of an intern entry: what its bytes hold, or that they were never written. */
export const InternKind = {
  /** UTF-8 text. */
  Text: 1,
  /** A CBOR-encoded instrumentation scope: [name, version, schemaUrl, attributes]. */
  Scope: 2,
  /** Claimed but never published (the byte area ran out). */
  Abandoned: 3,
} as const;

/** Appends one entry and returns its id, or -1 when the table is full. */
function appendInternEntry(ring: RingViews, kind: number, content: string | Uint8Array): number {
  const { words } = ring;
  const id = Atomics.add(words, Header.InternNextId, 1);
  if (id >= ring.internCapacity) return -1;
  const length = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
  const offset = Atomics.add(words, Header.InternBytesHead, length);
  const entry = ring.internTable + id * INTERN_ENTRY_WORDS;
  if (offset + length > ring.internBytes) {
    Atomics.store(words, entry + 2, InternKind.Abandoned);
    return -1;
  }
  const start = ring.internBytesStart + offset;
  if (typeof content === 'string') ring.bytes.write(content, start, length, 'utf8');
  else ring.bytes.set(content, start);
  words[entry] = offset;
  words[entry + 1] = length;
  Atomics.store(words, entry + 2, kind);
  return id;
}

/** An interned entry as a snapshot sees it. */
export interface InternEntry {
  readonly kind: number;
  readonly content: Buffer;
}

/** Reads a published entry; undefined for an id that is unknown, unpublished or abandoned. */
export function readInternEntry(ring: RingViews, id: number): InternEntry | undefined {
  if (id < 0 || id >= ring.internCapacity) return undefined;
  const entry = ring.internTable + id * INTERN_ENTRY_WORDS;
  const kind = Atomics.load(ring.words, entry + 2);
  if (kind !== InternKind.Text && kind !== InternKind.Scope) return undefined;
  const start = ring.internBytesStart + ring.words[entry]!;
  return { kind, content: ring.bytes.subarray(start, start + ring.words[entry + 1]!) };
}

/** Settings of one producer's {@link Interner}. */
export interface InternerOptions {
  /** Longest string value (in UTF-16 units) that may be interned. */
  readonly maxValueLength: number;
}

/** Once-seen values are remembered in a direct-mapped array of this many entries (a power of two). */
const CANDIDATE_SLOTS = 1024;

/**
 * Longest key-like string (UTF-16 units) that is interned. A key larger than the bytes left in
 * the table would mark it full for this producer and inline every later key; a key this long is
 * rare enough that storing it inline costs nothing worth keeping.
 */
const MAX_KEY_LENGTH = 256;

/** Attribute positions with a remembered key (see {@link Interner.attributeKey}). */
export const KEY_POSITIONS = 32;

/**
 * A producer's view of the table. Keys, severity texts and event names are interned on first
 * sight; string values only on their second sight, so that unique ids in a high-cardinality
 * attribute do not fill the table before the enum-like values that repeat.
 */
export class Interner {
  private readonly ids = new Map<string, number>();
  /**
   * Values seen once, waiting for a second sighting. A direct-mapped array indexed by a cheap
   * hash instead of a Set: a Set insert per unique value (request ids…) cost time and garbage on
   * every record (bench/emit-micro.ts, "Interner candidates"); a collision here only delays a
   * value's admission.
   */
  private readonly candidates = new Array<string | undefined>(CANDIDATE_SLOTS).fill(undefined);
  private readonly candidatePrints = new Int32Array(CANDIDATE_SLOTS);
  /**
   * A direct-mapped cache in front of `ids` for keys: attribute keys are usually the same
   * string objects record after record, so `===` hits on a pointer compare, far cheaper than
   * `Map#get` (bench/emit-micro.ts, "key cache").
   */
  private readonly recentKeys = new Array<string | undefined>(CANDIDATE_SLOTS).fill(undefined);
  private readonly recentKeyIds = new Int32Array(CANDIDATE_SLOTS);
  /** The same for interned values, indexed like `candidates`. */
  private readonly recentValues = new Array<string | undefined>(CANDIDATE_SLOTS).fill(undefined);
  private readonly recentValueIds = new Int32Array(CANDIDATE_SLOTS);
  private readonly recentValuePrints = new Int32Array(CANDIDATE_SLOTS);
  private readonly maxValueLength: number;
  private readonly positionKeys = new Array<string | undefined>(KEY_POSITIONS).fill(undefined);
  private readonly positionKeyIds = new Int32Array(KEY_POSITIONS);
  private readonly scopeIds = new Map<object, number>();
  /** A logger's records share its scope object: the last one answers without the Map. */
  private lastScope: object | undefined;
  private lastScopeId = -1;
  private full = false;

  constructor(
    private readonly ring: RingViews,
    options: InternerOptions,
  ) {
    this.maxValueLength = options.maxValueLength;
  }

  /** The id of a key-like string, or -1 to store it inline. */
  key(text: string): number {
    const slot = candidateSlot(text);
    if (this.recentKeys[slot] === text) return this.recentKeyIds[slot]!;
    const id = this.ids.get(text) ?? (text.length > MAX_KEY_LENGTH ? -1 : this.add(text));
    if (id >= 0) {
      this.recentKeys[slot] = text;
      this.recentKeyIds[slot] = id;
    }
    return id;
  }

  /**
   * The id of the key at `position` (0-based, < KEY_POSITIONS) of a record's attributes. Records
   * from one call site have the same keys in the same order, as the same (internalized) string
   * objects, so one `===` against the key last seen there usually answers without hashing.
   */
  attributeKey(position: number, text: string): number {
    if (this.positionKeys[position] === text) return this.positionKeyIds[position]!;
    const id = this.key(text);
    if (id >= 0) {
      this.positionKeys[position] = text;
      this.positionKeyIds[position] = id;
    }
    return id;
  }

  /**
   * The id of a string value, or -1 to store it inline.
   *
   * No `Map` lookup unless the value was seen before: a unique value (a request id) costs its
   * print (five characters) and two integer compares. Looking every value up in `ids` hashed
   * the whole string, and a fresh string object has no cached hash; an id built by
   * concatenation was flattened by the lookup too (bench/emit-micro.ts, "Interner.value").
   * An interned value is found through `recentValues` (same slot); one displaced from there by a
   * colliding value is stored inline once, and found through `ids` on its next sighting.
   */
  value(text: string): number {
    if (text.length > this.maxValueLength) return -1;
    // The print is compared before the strings: `===` between two different fresh strings of the
    // same length (two request ids) is a runtime call; the print rules out almost all of them.
    const print = valuePrint(text);
    const slot = print & (CANDIDATE_SLOTS - 1);
    if (this.recentValuePrints[slot] === print && this.recentValues[slot] === text) return this.recentValueIds[slot]!;
    return this.admitValue(text, print, slot);
  }

  /**
   * {@link value} for a string not in `recentValues`: remembers a first sighting, interns on the
   * second. Kept apart so that the recent-value check stays small enough to be inlined into the
   * attribute loop (bench/emit-micro.ts, "inlining budget").
   */
  private admitValue(text: string, print: number, slot: number): number {
    if (this.candidatePrints[slot] !== print || this.candidates[slot] !== text) {
      this.candidates[slot] = text;
      this.candidatePrints[slot] = print;
      return -1;
    }
    this.candidates[slot] = undefined;
    const id = this.ids.get(text) ?? this.add(text);
    if (id >= 0) {
      this.recentValues[slot] = text;
      this.recentValuePrints[slot] = print;
      this.recentValueIds[slot] = id;
    }
    return id;
  }

  /** The id of a scope object seen before (cached by identity), or undefined. */
  knownScope(scope: object): number | undefined {
    if (scope === this.lastScope) return this.lastScopeId;
    const id = this.scopeIds.get(scope);
    if (id !== undefined) {
      this.lastScope = scope;
      this.lastScopeId = id;
    }
    return id;
  }

  /** Interns a scope's encoded form; -1 when the table is full (the record then carries it inline). */
  addScope(scope: object, encoded: Uint8Array): number {
    const id = this.full ? -1 : appendInternEntry(this.ring, InternKind.Scope, encoded);
    if (id < 0) this.full = true;
    else this.scopeIds.set(scope, id);
    return id;
  }

  private add(text: string): number {
    if (this.full) return -1;
    const id = appendInternEntry(this.ring, InternKind.Text, text);
    if (id < 0) this.full = true;
    else this.ids.set(text, id);
    return id;
  }
}

/** Mixes the length and three characters: enough to spread ids that differ at the end or start. */
function candidateSlot(text: string): number {
  const length = text.length;
  if (length === 0) return 0;
  const mixed = (length * 31 + text.charCodeAt(0)) * 31 + text.charCodeAt(length >> 1);
  return (mixed * 31 + text.charCodeAt(length - 1)) & (CANDIDATE_SLOTS - 1);
}

/**
 * A 32-bit print of a value's length and five characters (ends, middle, quarters): its low bits
 * pick the candidate slot, and all of it is compared before the strings themselves. A print only
 * ever rules strings out; equal prints still need `===`.
 */
export function valuePrint(text: string): number {
  const length = text.length;
  if (length === 0) return 0;
  let h = Math.imul(length, 0x9e3779b1) ^ text.charCodeAt(0);
  h = Math.imul(h, 31) ^ text.charCodeAt(length >> 2);
  h = Math.imul(h, 31) ^ text.charCodeAt(length >> 1);
  h = Math.imul(h, 31) ^ text.charCodeAt((3 * length) >> 2);
  h = Math.imul(h, 31) ^ text.charCodeAt(length - 1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return h ^ (h >>> 13);
}
