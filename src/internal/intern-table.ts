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

export const InternKind = {
  /** UTF-8 text. */
  Text: 1,
  /** A CBOR-encoded instrumentation scope: [name, version, schemaUrl, attributes]. */
  Scope: 2,
  /** Claimed but never published (the byte area ran out). */
  Abandoned: 3,
} as const;

/** Appends one entry and returns its id, or -1 when the table is full. */
export function appendInternEntry(ring: RingViews, kind: number, content: string | Uint8Array): number {
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

/**
 * A producer's view of the table. Keys, severity texts and event names are interned on first
 * sight; string values only on their second sight, so that unique ids in a high-cardinality
 * attribute do not fill the table before the enum-like values that repeat.
 */
export class Interner {
  private readonly ids = new Map<string, number>();
  /**
   * Values seen once, waiting for a second sighting. A direct-mapped array indexed by a cheap
   * hash instead of a Set: a Set insert per unique value (request ids…) cost ~200 ns and garbage
   * per record in the emit benchmark; a collision here only delays a value's admission.
   */
  private readonly candidates = new Array<string | undefined>(CANDIDATE_SLOTS).fill(undefined);
  /**
   * A direct-mapped cache in front of `ids` for keys: attribute keys are usually the same
   * string objects record after record, so `===` hits on a pointer compare; this halved the
   * cost of key lookups against `Map#get` in the onEmit profile.
   */
  private readonly recentKeys = new Array<string | undefined>(CANDIDATE_SLOTS).fill(undefined);
  private readonly recentKeyIds = new Int32Array(CANDIDATE_SLOTS);
  private readonly scopeIds = new Map<object, number>();
  private full = false;

  constructor(
    private readonly ring: RingViews,
    private readonly options: InternerOptions,
  ) {}

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

  /** The id of a string value, or -1 to store it inline. */
  value(text: string): number {
    if (text.length > this.options.maxValueLength) return -1;
    const id = this.ids.get(text);
    if (id !== undefined) return id;
    if (this.full) return -1;
    const slot = candidateSlot(text);
    if (this.candidates[slot] === text) {
      this.candidates[slot] = undefined;
      return this.add(text);
    }
    this.candidates[slot] = text;
    return -1;
  }

  /** The id of a scope object seen before (cached by identity), or undefined. */
  knownScope(scope: object): number | undefined {
    return this.scopeIds.get(scope);
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
