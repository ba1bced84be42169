/**
 * A chunk's records read field by field (docs/format.md, "Chunk payload" and "Records"): the one
 * place that knows the fields of a file record and their order. The reader builds its records
 * with {@link RecordCursor.record}; a caller that needs less than a record object — the viewer's
 * text output, which writes lines straight from a chunk's bytes — reads the fields it needs and
 * walks past the rest, and can keep what it derives from a string-table entry by its index.
 *
 * The payload is plain CBOR, but decoding it with cbor-x into arrays, then walking those arrays
 * into records, made CBOR decoding most of the viewer's time (bench/viewer.ts). Here the bytes
 * are read once, in place (cbor-cursor.ts): string references resolve as they are met (the
 * string table comes first), maps become objects without an array in between, and trace and
 * span ids become hex text only when asked for (a record object asks; the viewer's text output
 * writes the trace id's digits from its bytes, {@link RecordCursor.traceIdStart}).
 *
 * One file, longer than our files usually are, because it is the reader's and the viewer's hot
 * loop, as cbor-cursor.ts is: a split along value reading vs field order would not be clean, as
 * `nextValue` checks the field order and leaves its result in the cursor's own fields for the
 * caller to read, and moving the field order out would spread the one place that knows a
 * record's fields over two.
 */
import type { AnyValue } from '../otel-types.ts';
import type { SnapshotRecord, SnapshotScope } from '../types.ts';
import { CborCursor, entryKey, NULL, UNDEFINED } from './cbor-cursor.ts';

/** Items every record has; a reader ignores any after them. */
const RECORD_FIELDS = 13;
/** Items before the records in a chunk payload: [baseSeconds, baseNanos, strings, scopes]. */
const CHUNK_HEAD_ITEMS = 4;
/** The first byte of a string reference (tag 40100, whose other two bytes isStringRefTag checks). */
const STRING_REF_HEAD = 0xd9;
/** The initial byte of an unsigned integer with a 4-byte argument: the widest read as a number. */
const UINT_LAST = 0x1a;
/** Initial bytes of a definite-length text string: lengths 0–23 in place, then 1-, 2- and 4-byte lengths. */
const TEXT_FIRST = 0x60;
const TEXT_LAST = 0x7a;
/** The scope of a record that has none (only trimmed records); shared, as chunk scopes are. */
const NO_SCOPE: SnapshotScope = Object.freeze({ name: '' });

/**
 * What {@link RecordCursor.nextValue} found:
 * - `absent`: CBOR undefined, no value (a record without a body), {@link RecordCursor.decoded} undefined;
 * - `string`: an entry of the chunk's string table, {@link RecordCursor.stringIndex};
 * - `text`: text stored in place, the UTF-8 bytes from {@link RecordCursor.textStart} to
 *   {@link RecordCursor.textEnd} of {@link RecordCursor.bytes};
 * - `unsigned`: a whole number from 0 to 2³² − 1, {@link RecordCursor.decoded};
 * - `value`: any other value, decoded as the reader decodes it, {@link RecordCursor.decoded}.
 */
export type ValueKind = 'absent' | 'string' | 'text' | 'unsigned' | 'value';

/** Where a cursor is within a record: which of its methods may come next. */
enum At {
  /** Between records: next(), record() or check(). */
  Record,
  Body,
  Attributes,
  /** Inside the attribute list that attributePairs() opened. */
  Pairs,
  /** After the attributes: end(). */
  Context,
}

/**
 * The records of one chunk, read in file order. A record is read either whole, with
 * {@link RecordCursor.record}, or field by field, in the order the file holds them:
 *
 * 1. {@link RecordCursor.next}: the fields up to the scope (`seq`, `timestamp`,
 *    `observedTimestamp`, `severityNumber`, `severityText`, `scope`);
 * 2. the body: {@link RecordCursor.value}, {@link RecordCursor.nextValue} or {@link RecordCursor.skip};
 * 3. the attributes: {@link RecordCursor.attributes}, {@link RecordCursor.skip}, or
 *    {@link RecordCursor.attributePairs} and then, for each pair, its key
 *    ({@link RecordCursor.keyIndex} or {@link RecordCursor.key}) and its value (as the body's);
 * 4. {@link RecordCursor.end}: the rest (`eventName`, the trace context, `droppedAttributesCount`,
 *    `producer`, `truncated`, `lane`).
 *
 * Out of that order the cursor throws an `Error`. Malformed bytes throw a `SnapshotFormatError`
 * with code `CHUNK_UNREADABLE`, from wherever in the chunk they are found: a chunk is read whole
 * or not at all, so a caller that gets one discards what it did with the chunk's earlier
 * records (`SnapshotReader.cursors` reports the chunk as damage). {@link RecordCursor.check}
 * finds any such error before the first record is read.
 *
 * Get one from `SnapshotReader.cursors`.
 */
export class RecordCursor {
  /** The number of records in the chunk. */
  readonly records: number;
  /**
   * The chunk's string table: records refer to its entries by index ({@link RecordCursor.stringIndex},
   * {@link RecordCursor.keyIndex}), so what a caller derives from an entry it can keep by index
   * for the rest of the chunk.
   */
  readonly strings: readonly string[];
  /** The chunk's decompressed bytes, which {@link RecordCursor.textStart} and {@link RecordCursor.textEnd} point into. */
  readonly bytes: Buffer;
  /** Set by nextValue(): the string-table index of a `string`. */
  stringIndex = 0;
  /** Set by nextValue(): where the UTF-8 bytes of a `text` start in {@link RecordCursor.bytes}. */
  textStart = 0;
  /** Set by nextValue(): where the UTF-8 bytes of a `text` end. */
  textEnd = 0;
  /** Set by nextValue(): the number of an `unsigned`, the value of a `value`, undefined for `absent`. */
  decoded: AnyValue | undefined = undefined;
  /**
   * Set by end(): where the bytes of the record's trace id start in {@link RecordCursor.bytes},
   * for a caller that writes the id without a string; 0, as {@link RecordCursor.traceIdEnd}, when
   * the record has no trace context or `end(false)` walked past it.
   */
  traceIdStart = 0;
  /** Set by end(): where the bytes of the record's trace id end. */
  traceIdEnd = 0;

  private readonly items: CborCursor;
  private readonly scopes: readonly SnapshotScope[];
  /** Items of the payload array after the records, read with the last record. */
  private readonly trailingItems: number;
  private left: number;
  private at = At.Record;
  /** The current record's first byte and the time before it, for restart(). */
  private recordStart = 0;
  private timeBefore: bigint;
  /** The current record's items after the 13 it must have. */
  private extraFields = 0;
  /** Pairs left in the attribute list attributePairs() opened. */
  private pairsLeft = 0;
  private time: bigint;
  private currentSeq = 0;
  private observedDelta: number | bigint = 0;
  private currentSeverityNumber = 0;
  private currentSeverityText: string | undefined;
  private currentScope: SnapshotScope = NO_SCOPE;
  private currentEventName: string | undefined;
  private hasTrace = false;
  /** The hex texts of the trace and span ids, built on the first ask. */
  private currentTraceId: string | undefined;
  private currentSpanId: string | undefined;
  private spanIdStart = 0;
  private spanIdEnd = 0;
  private currentTraceFlags: number | undefined;
  private currentDropped = 0;
  private currentProducer = 0;
  private currentFlags = 0;

  /**
   * Reads the chunk's head: its base time, string table and scopes. Not part of the package's
   * API: the reader makes cursors.
   *
   * @param bytes - the chunk's decompressed payload
   * @param recordCount - the records the chunk's block header says it holds
   * @param offset - the chunk block's offset in the file, which errors name
   */
  constructor(bytes: Buffer, recordCount: number, offset = 0) {
    const items = new CborCursor(bytes, offset);
    this.items = items;
    this.bytes = bytes;
    const length = items.arrayHeader();
    if (length === undefined || length < CHUNK_HEAD_ITEMS + 1) throw items.malformed('chunk payload is not [seconds, nanos, strings, scopes, records]');
    const baseSeconds = items.value();
    const baseNanos = items.value();
    // Integers (docs/format.md, "Conventions"): BigInt() of a fraction, NaN or an infinity throws a RangeError.
    if (!Number.isInteger(baseSeconds) || !Number.isInteger(baseNanos)) throw items.malformed('chunk payload fields have the wrong types');
    const strings = items.value();
    if (!Array.isArray(strings) || !strings.every((item) => typeof item === 'string')) throw items.malformed('chunk payload fields have the wrong types');
    items.strings = strings as string[];
    this.strings = items.strings;
    const scopes = items.value();
    if (!Array.isArray(scopes)) throw items.malformed('chunk payload fields have the wrong types');
    this.scopes = scopes.map((scope) => toScope(scope, items));
    const records = items.arrayHeader();
    if (records === undefined) throw items.malformed('chunk payload fields have the wrong types');
    if (records !== recordCount) throw items.malformed(`chunk holds ${records} records, its header says ${recordCount}`);
    if (records > items.end - items.pos) throw items.malformed('chunk payload ends inside its records');
    this.records = records;
    this.left = records;
    this.trailingItems = length - CHUNK_HEAD_ITEMS - 1;
    this.time = BigInt(baseSeconds as number) * 1_000_000_000n + BigInt(baseNanos as number);
    this.timeBefore = this.time;
  }

  /** Records not read yet (a record counts as read once its `end()` has). */
  get remaining(): number {
    return this.left;
  }

  /** Entry `index` of the string table; `''` past its end, as the reader resolves references. */
  string(index: number): string {
    return this.strings[index] ?? '';
  }

  /**
   * Walks the records not read yet, and the items after them, building nothing, and fails where
   * reading them would; then returns to where it was. After it, reading the chunk cannot fail,
   * so it can be read a part at a time and still whole or not at all. Between records only.
   */
  check(): void {
    this.expect(At.Record);
    const items = this.items;
    const start = items.pos;
    for (let i = 0; i < this.left; i++) {
      const fields = this.recordHeader();
      items.skip();
      items.nanos();
      items.nanos();
      items.skip(fields - 3);
    }
    items.skip(this.trailingItems);
    items.pos = start;
  }

  /** The next record whole, as `readSnapshot` gives it. Between records only. */
  record(): SnapshotRecord {
    this.next();
    const body = this.value();
    const attributes = this.attributes();
    this.end();
    return this.built(body, attributes);
  }

  /**
   * Starts the next record: reads its fields up to the scope. The body is next. Throws a
   * `RangeError` when no record is left.
   */
  next(): void {
    this.expect(At.Record);
    if (this.left === 0) throw new RangeError('the chunk has no records left');
    const items = this.items;
    this.recordStart = items.pos;
    this.timeBefore = this.time;
    this.extraFields = this.recordHeader() - RECORD_FIELDS;
    this.currentSeq = items.integer();
    const delta = items.nanos();
    // A zero step (records in the same nanosecond) shares the previous bigint.
    if (delta !== 0) this.time += BigInt(delta);
    this.observedDelta = items.nanos();
    this.currentSeverityNumber = items.integer();
    this.currentSeverityText = items.optionalText();
    this.currentScope = this.scopes[items.integer()] ?? NO_SCOPE;
    this.at = At.Body;
  }

  /** Back to the start of the current record, as before its `next()`; for a caller that wants it whole after all. Before `end()` only. */
  restart(): void {
    if (this.at === At.Record) throw new Error('RecordCursor.restart() outside a record');
    if (this.at === At.Pairs) this.items.leave();
    this.items.pos = this.recordStart;
    this.time = this.timeBefore;
    this.at = At.Record;
  }

  /** The record's position in its lane's write order. */
  get seq(): number {
    return this.currentSeq;
  }

  /** Nanoseconds since the Unix epoch. */
  get timestamp(): bigint {
    return this.time;
  }

  /** Nanoseconds since the Unix epoch when the record was observed. */
  get observedTimestamp(): bigint {
    const delta = this.observedDelta;
    return delta === 0 ? this.time : this.time + BigInt(delta);
  }

  /** 0 when the record had none. */
  get severityNumber(): number {
    return this.currentSeverityNumber;
  }

  /** Undefined when the record had none. */
  get severityText(): string | undefined {
    return this.currentSeverityText;
  }

  /** The record's instrumentation scope, one object per scope of the chunk; `{ name: '' }` for none. */
  get scope(): SnapshotScope {
    return this.currentScope;
  }

  /** The body or an attribute's value, decoded as `readSnapshot` decodes it; undefined for an absent one. */
  value(): AnyValue | undefined {
    this.valueNext();
    return this.items.value() as AnyValue | undefined;
  }

  /**
   * Reads the body or an attribute's value and says what it is ({@link ValueKind}), leaving
   * text stored in place as bytes and string-table entries as indexes. What {@link RecordCursor.value}
   * would return is: `undefined`; `string(stringIndex)`; the bytes decoded as UTF-8; `decoded`.
   */
  nextValue(): ValueKind {
    // Read once per attribute: the order check and the small unsigned integers (counts, most
    // numbers) come first and in place, as they are most of a chunk's values.
    if (this.at !== At.Pairs) this.valueNext();
    const items = this.items;
    const bytes = this.bytes;
    const pos = items.pos;
    const initial = bytes[pos];
    if (initial === undefined) throw items.malformed('chunk payload ends inside a CBOR item');
    if (initial < 24) {
      items.pos = pos + 1;
      this.decoded = initial;
      return 'unsigned';
    }
    if (initial <= UINT_LAST) {
      this.decoded = items.unsigned();
      return 'unsigned';
    }
    if (initial === STRING_REF_HEAD && items.isStringRefTag(pos + 1)) {
      items.pos = pos + 3;
      const index = items.unsigned();
      if (index >= 0) {
        this.stringIndex = index;
        return 'string';
      }
      items.pos = pos;
    } else if (initial >= TEXT_FIRST && initial <= TEXT_LAST) {
      items.pos = pos + 1;
      const length = initial < TEXT_FIRST + 24 ? initial - TEXT_FIRST : (items.argument(initial & 0x1f) as number);
      const start = items.take(length);
      this.textStart = start;
      this.textEnd = start + length;
      return 'text';
    } else if (initial === UNDEFINED) {
      items.pos = pos + 1;
      this.decoded = undefined;
      return 'absent';
    }
    this.decoded = items.value() as AnyValue | undefined;
    return 'value';
  }

  /** Walks past the body, the attribute list or an attribute's value without building it. */
  skip(): void {
    if (this.at === At.Attributes) this.at = At.Context;
    else this.valueNext();
    this.items.skip();
  }

  /**
   * The attributes as the object `readSnapshot` gives: in file order, except that a JS object
   * lists integer-like keys first, and a key given twice keeps its first place and its last value.
   */
  attributes(): Record<string, AnyValue> {
    this.expect(At.Attributes);
    this.at = At.Context;
    return this.items.entriesItem() ?? {};
  }

  /**
   * Opens the attribute list to be read a pair at a time, in file order, and returns its number
   * of pairs; or -1, with nothing read, when it is not a list of pairs (then read it with
   * `attributes()` or `skip()`). Keys come as the file holds them: repeated, integer-like or
   * `__proto__` as they are.
   */
  attributePairs(): number {
    this.expect(At.Attributes);
    const items = this.items;
    const start = items.pos;
    const length = items.arrayHeader();
    if (length === undefined || length % 2 === 1) {
      items.pos = start;
      return -1;
    }
    // Counted as a level, as attributes() counts it, so that both fail at the same depth.
    items.enter();
    this.pairsLeft = length / 2;
    this.at = At.Pairs;
    return this.pairsLeft;
  }

  /**
   * The next pair's key as a string-table index; or -1, with nothing read, for a key stored
   * otherwise (then read it with `key()`).
   */
  keyIndex(): number {
    this.pairNext();
    const items = this.items;
    const initial = this.bytes[items.pos];
    // Most keys: an index under 24, one byte.
    if (initial !== undefined && initial < 24) {
      items.pos++;
      return initial;
    }
    const index = items.unsigned();
    if (index < 0) this.pairsLeft++;
    return index;
  }

  /** The next pair's key as text. */
  key(): string {
    this.pairNext();
    return entryKey(this.items.key(), this.strings);
  }

  /**
   * Reads the rest of the record. `readContext: false` walks past its event name and trace
   * context without building them (`eventName`, `traceId`, `spanId` and `traceFlags` are then
   * undefined). After the last record, also reads what follows the records in the chunk.
   */
  end(readContext = true): void {
    const items = this.items;
    if (this.at === At.Pairs && this.pairsLeft === 0) items.leave();
    else this.expect(At.Context);
    if (readContext) {
      this.currentEventName = items.optionalText();
      this.readTrace();
    } else {
      items.skip(2);
      this.currentEventName = undefined;
      this.clearTrace();
    }
    this.currentDropped = items.integer();
    this.currentProducer = items.integer();
    this.currentFlags = items.integer();
    if (this.extraFields > 0) items.skip(this.extraFields);
    this.at = At.Record;
    if (--this.left === 0) items.skip(this.trailingItems);
  }

  /** Undefined when the record had none. Read by `end()`, like the fields below. */
  get eventName(): string | undefined {
    return this.currentEventName;
  }

  /** 32 hex digits; undefined when the record has no trace context. */
  get traceId(): string | undefined {
    if (!this.hasTrace) return undefined;
    this.currentTraceId ??= this.bytes.toString('hex', this.traceIdStart, this.traceIdEnd);
    return this.currentTraceId;
  }

  /** 16 hex digits; undefined when the record has no trace context. */
  get spanId(): string | undefined {
    if (!this.hasTrace) return undefined;
    this.currentSpanId ??= this.bytes.toString('hex', this.spanIdStart, this.spanIdEnd);
    return this.currentSpanId;
  }

  /** Undefined when the record has no trace context. */
  get traceFlags(): number | undefined {
    return this.currentTraceFlags;
  }

  /** Attributes left out of the record before it reached the ring. */
  get droppedAttributesCount(): number {
    return this.currentDropped;
  }

  /** Which thread wrote the record: 0 the ring's creator, attached processors from 1. */
  get producer(): number {
    return this.currentProducer;
  }

  /** Whether the record was trimmed to fit its slot. */
  get truncated(): boolean {
    return (this.currentFlags & 1) === 1;
  }

  /** 1 for a record kept in the ring's reserve lane (warnings and errors), else 0. */
  get lane(): number {
    return (this.currentFlags & 2) === 2 ? 1 : 0;
  }

  /**
   * The record object from the fields read. The fields every record has go into one object
   * literal and the optional ones are added only when present (no spreads: this runs once per
   * record read); adding every field one by one to `{}` grew the object's property store
   * several times per record (bench/viewer.ts).
   */
  private built(body: AnyValue | undefined, attributes: Record<string, AnyValue>): SnapshotRecord {
    const timestamp = this.time;
    const out: MutableRecord = {
      seq: this.currentSeq,
      timestamp,
      observedTimestamp: this.observedDelta === 0 ? timestamp : timestamp + BigInt(this.observedDelta),
      severityNumber: this.currentSeverityNumber,
      attributes,
      scope: this.currentScope,
      droppedAttributesCount: this.currentDropped,
      producer: this.currentProducer,
      truncated: (this.currentFlags & 1) === 1,
    };
    if (this.currentSeverityText !== undefined) out.severityText = this.currentSeverityText;
    if (body !== undefined) out.body = body;
    if (this.currentEventName !== undefined) out.eventName = this.currentEventName;
    if (this.hasTrace) {
      out.traceId = this.traceId!;
      out.spanId = this.spanId!;
      out.traceFlags = this.currentTraceFlags!;
    }
    if (this.currentFlags & 2) out.lane = 1;
    return out;
  }

  /** A record's array head: at least the fields every record has. */
  private recordHeader(): number {
    const fields = this.items.arrayHeader();
    if (fields === undefined || fields < RECORD_FIELDS) throw this.items.malformed('a record is malformed');
    return fields;
  }

  /** Field 9: [traceId, spanId, flags] with the ids as bytes, or anything else for none. */
  private readTrace(): void {
    const items = this.items;
    this.clearTrace();
    if (this.bytes[items.pos] === NULL) {
      items.pos++;
      return;
    }
    const start = items.pos;
    const length = items.arrayHeader();
    if (length === undefined || length < 3) {
      items.pos = start;
      items.value();
      return;
    }
    // Counted as a level like every other array, so that check() and this agree on the depth limit.
    items.enter();
    const traceStart = items.byteStringStart();
    const traceEnd = items.pos;
    const spanStart = items.byteStringStart();
    const spanEnd = items.pos;
    const flags = items.integer();
    for (let extra = 3; extra < length; extra++) items.value();
    items.leave();
    if (traceStart >= 0 && spanStart >= 0) {
      this.hasTrace = true;
      this.traceIdStart = traceStart;
      this.traceIdEnd = traceEnd;
      this.spanIdStart = spanStart;
      this.spanIdEnd = spanEnd;
      this.currentTraceFlags = flags;
    }
  }

  private clearTrace(): void {
    this.hasTrace = false;
    this.traceIdStart = this.traceIdEnd = 0;
    this.currentTraceId = this.currentSpanId = this.currentTraceFlags = undefined;
  }

  /** Before the body (which it moves past) or an attribute's value. */
  private valueNext(): void {
    if (this.at === At.Body) this.at = At.Attributes;
    else if (this.at !== At.Pairs) this.outOfOrder();
  }

  private pairNext(): void {
    if (this.at !== At.Pairs || this.pairsLeft === 0) this.outOfOrder();
    this.pairsLeft--;
  }

  private expect(at: At): void {
    if (this.at !== at) this.outOfOrder();
  }

  private outOfOrder(): never {
    throw new Error('RecordCursor: fields read out of their order (next, body, attributes, end)');
  }
}

type MutableRecord = { -readonly [K in keyof SnapshotRecord]: SnapshotRecord[K] };

function toScope(scope: unknown, items: CborCursor): SnapshotScope {
  if (!Array.isArray(scope)) return { name: '' };
  const [name, version, schemaUrl, attributes] = scope as unknown[];
  return {
    name: typeof name === 'string' ? name : '',
    ...(typeof version === 'string' ? { version } : {}),
    ...(typeof schemaUrl === 'string' ? { schemaUrl } : {}),
    ...(Array.isArray(attributes) ? { attributes: items.entries(attributes) } : {}),
  };
}
