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
  /** How many once-seen values to remember while waiting for a second sighting. */
  readonly admissionWindow: number;
}

/**
 * A producer's view of the table. Keys, severity texts and event names are interned on first
 * sight; string values only on their second sight, so that unique ids in a high-cardinality
 * attribute do not fill the table before the enum-like values that repeat.
 */
export class Interner {
  private readonly ids = new Map<string, number>();
  private readonly seenOnce = new Set<string>();
  private readonly scopeIds = new Map<object, number>();
  private full = false;

  constructor(
    private readonly ring: RingViews,
    private readonly options: InternerOptions,
  ) {}

  /** The id of a key-like string, or -1 to store it inline. */
  key(text: string): number {
    const id = this.ids.get(text);
    if (id !== undefined) return id;
    return this.add(text);
  }

  /** The id of a string value, or -1 to store it inline. */
  value(text: string): number {
    if (text.length > this.options.maxValueLength) return -1;
    const id = this.ids.get(text);
    if (id !== undefined) return id;
    if (this.full) return -1;
    if (this.seenOnce.has(text)) {
      this.seenOnce.delete(text);
      return this.add(text);
    }
    if (this.seenOnce.size >= this.options.admissionWindow) this.seenOnce.clear();
    this.seenOnce.add(text);
    return -1;
  }

  /** The id of a scope object (cached by identity), or -1 when the table is full. */
  scope(scope: object, encode: () => Uint8Array): number {
    const cached = this.scopeIds.get(scope);
    if (cached !== undefined) return cached;
    const id = this.full ? -1 : appendInternEntry(this.ring, InternKind.Scope, encode());
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
