/**
 * The text output of one snapshot read straight from its chunks' bytes: no record objects, no
 * strings per line. For the viewer's default output of a single file without filters, the
 * common `ttlog-view snapshot.bin | less`.
 *
 * A record's items are read from the chunk's CBOR and its line written as bytes, from pieces
 * encoded once per chunk or per run of lines: the line's start, the scope, ` key=` and the
 * interned bodies and values by string-table index. Text values not in the table are copied from
 * the chunk as they are when they need no quoting or escaping. On bench/viewer.ts's 1M records
 * the built `ttlog-view` took 0.89 s against 1.34 s through records and strings (medians of
 * eight alternated runs), and garbage collection went from a fifth of the run to a twentieth
 * (CPU profiles).
 *
 * The lines are the same bytes `TextFormatter.write` gives for the records the reader decodes:
 * both write through the formatter's pieces and the same value texts (values.ts), and a record
 * whose attributes the object the reader builds would reorder or merge (integer-like keys, a
 * key twice) is decoded into that object and written by the formatter itself.
 */
import type { AnyValue } from 'ttlog';
import { ChunkRecords, RECORD_FIELDS } from '../../../src/read/chunk-decoder.ts';
import { UNDEFINED } from '../../../src/read/cbor-cursor.ts';
import { CHUNK_MAX_RECORDS } from '../../../src/format/file-format.ts';
import { openedChunks } from 'ttlog';
import { bodyText, writeAttributeValue, type TextFormatter } from './format-text.ts';
import { utf8, type LineBytes } from './line-bytes.ts';
import type { LineOutput } from './output.ts';
import { describeError, reportDamage, type ReportProblem, type SnapshotSource } from './sources.ts';
import { attributeValueText, quotesValue } from './values.ts';

/** More attributes than this and a record goes the reader's way: the repeated-key check below is quadratic. */
const MAX_DIRECT_ATTRIBUTES = 32;
/** A definite-length text string's initial bytes: lengths 0–23 in place, then 1-, 2- and 4-byte lengths. */
const TEXT_FIRST = 0x60;
const TEXT_LAST = 0x7a;
const STRING_REF_HEAD = 0xd9;

/**
 * Writes the lines of `source`'s records to `output`, chunk by chunk, and reports damage as
 * the merged timeline does. `counted` hears of each chunk's records (the progress line).
 */
export async function writeSourceText(source: SnapshotSource, formatter: TextFormatter, output: LineOutput, report: ReportProblem, counted: (records: number) => void): Promise<void> {
  // A chunk's lines are written before the chunk counts as read, so that a chunk that fails
  // midway is damage (reported by the reader) with none of its lines shown.
  const open = (bytes: Buffer, records: number) => {
    const chunk = new ChunkText(bytes, records, formatter, source);
    chunk.writeLines(output, CHUNK_MAX_RECORDS);
    return chunk;
  };
  const chunks = openedChunks(source.reader, open);
  try {
    reading: for await (const chunk of chunks) {
      counted(chunk.records);
      for (;;) {
        const pause = output.flushWhenFull();
        if (pause !== undefined) {
          await pause;
          if (output.closed) break reading;
        }
        if (chunk.remaining === 0) break;
        chunk.writeLines(output, CHUNK_MAX_RECORDS);
      }
    }
  } catch (error) {
    report(`${source.path}: ${describeError(error)}`);
  } finally {
    await chunks.return(undefined);
    reportDamage(source, report);
  }
}

/**
 * A chunk's records as text lines. A chunk with more records than the reference writer puts in
 * one is walked whole first, as the reader does for slices (chunk-decoder.ts), so that it can be
 * written a part at a time and still either whole or not at all.
 */
export class ChunkText extends ChunkRecords {
  /** ` key=` by string-table index; null for a key the reader's object would move to the front (integer-like). */
  private readonly keyTexts: Array<Uint8Array | null> = [];
  private readonly bodyTexts: Uint8Array[] = [];
  private readonly valueTexts: Uint8Array[] = [];
  /**
   * The current record's ` key=` texts so far, for the repeated-key check: the formatter keeps one
   * per key, so the same key at two string indexes has the same one.
   */
  private readonly recordKeys = new Array<Uint8Array | null>(MAX_DIRECT_ATTRIBUTES).fill(null);
  /** Where the text string {@link textStart} found ends. */
  private textEnd = 0;
  /** The producer of the previous record, whose line start the next record's line begins with until its own producer is read. */
  private producer = 0;

  constructor(
    bytes: Buffer,
    readonly records: number,
    private readonly formatter: TextFormatter,
    private readonly source: SnapshotSource,
  ) {
    super(bytes, records, CHUNK_MAX_RECORDS);
  }

  /**
   * Writes the lines of up to `count` more records, each with its line break. On a malformed
   * record it throws with `out` as it was: the chunk is damage.
   */
  writeLines(out: LineBytes, count: number): void {
    const lines = Math.min(count, this.remaining);
    const before = out.length;
    try {
      for (let i = 0; i < lines; i++) {
        const lineStart = out.length;
        const recordStart = this.pos;
        const time = this.time;
        if (!this.writeLine(out)) {
          out.truncate(lineStart);
          this.pos = recordStart;
          this.time = time;
          this.formatter.write({ record: this.nextRecord(), source: this.source }, out);
        }
        out.lineFeed();
      }
      this.consumed(lines);
    } catch (error) {
      out.truncate(before);
      throw error;
    }
  }

  /**
   * One record's line, its items read as `nextRecord` reads them (and failing where it fails).
   * Returns false, with the depth count as it was, for a record whose attributes the formatter
   * must see as the reader's object.
   */
  private writeLine(out: LineBytes): boolean {
    const lineStart = out.length;
    const fields = this.recordHeader();
    this.integer();
    const timestamp = this.advanceTime(this.nanos());
    this.nanos();
    const severityNumber = this.integer();
    const severityText = this.optionalText();
    const scope = this.scopeAt(this.integer());
    const formatter = this.formatter;
    // The line starts as the previous record's producer would have it; most records share it.
    const guessed = formatter.head(timestamp, severityNumber, severityText, this.source, this.producer);
    out.bytes(guessed);
    out.bytes(formatter.scope(scope));
    this.writeBody(out);
    if (!this.writeAttributes(out)) return false;
    // The event name and trace are not shown: walked as nextRecord would read them, not built.
    this.skip(2);
    this.integer();
    const producer = this.integer();
    this.integer();
    this.skip(fields - RECORD_FIELDS);
    if (producer !== this.producer) {
      this.producer = producer;
      out.replace(lineStart, guessed.length, formatter.head(timestamp, severityNumber, severityText, this.source, producer));
    }
    return true;
  }

  private writeBody(out: LineBytes): void {
    const bytes = this.bytes;
    if (bytes[this.pos] === UNDEFINED) {
      this.pos++;
      return;
    }
    const index = this.stringIndex();
    if (index >= 0) {
      out.bytes(this.bodyTexts[index] ?? this.bodyText(index));
      return;
    }
    const start = this.textStart();
    if (start >= 0) {
      const end = this.textEnd;
      if (isAsciiLine(bytes, start, end)) out.spaceAndCopy(bytes, start, end);
      else out.text(bodyText(bytes.toString('utf8', start, end)));
      return;
    }
    const body = this.value();
    if (body !== undefined) out.text(bodyText(body as AnyValue));
  }

  /** Writes ` key=value` for each attribute; false, partway, when the reader's object must be built instead. */
  private writeAttributes(out: LineBytes): boolean {
    const length = this.arrayHeader();
    if (length === undefined || length % 2 === 1 || length > MAX_DIRECT_ATTRIBUTES * 2) return false;
    const bytes = this.bytes;
    const keys = this.recordKeys;
    this.enter();
    for (let i = 0; i < length; i += 2) {
      const index = this.unsigned();
      const keyText = index >= 0 ? this.keyText(index) : null;
      if (keyText === null || seenBefore(keys, i >> 1, keyText)) {
        this.leave();
        return false;
      }
      keys[i >> 1] = keyText;
      out.bytes(keyText);
      const count = this.unsigned();
      if (count >= 0) {
        out.digits(count);
        continue;
      }
      const stringIndex = this.stringIndex();
      if (stringIndex >= 0) {
        out.bytes(this.valueTexts[stringIndex] ?? this.valueText(stringIndex));
        continue;
      }
      const start = this.textStart();
      if (start >= 0) {
        const end = this.textEnd;
        if (isPlainAscii(bytes, start, end)) out.copy(bytes, start, end);
        else out.text(attributeValueText(bytes.toString('utf8', start, end)));
        continue;
      }
      writeAttributeValue(this.value() as AnyValue, out);
    }
    this.leave();
    return true;
  }

  /** At a string reference: consumes it and returns its index; -1 (nothing consumed) for anything else. */
  private stringIndex(): number {
    const pos = this.pos;
    if (this.bytes[pos] !== STRING_REF_HEAD || !this.isStringRefTag(pos + 1)) return -1;
    this.pos = pos + 3;
    const index = this.unsigned();
    if (index < 0) this.pos = pos;
    return index;
  }

  /** At a definite-length text string: consumes it and returns where its bytes start ({@link textEnd}: where they end); -1 (nothing consumed) otherwise. */
  private textStart(): number {
    const initial = this.bytes[this.pos];
    if (initial === undefined || initial < TEXT_FIRST || initial > TEXT_LAST) return -1;
    this.pos++;
    const length = this.argument(initial & 0x1f) as number;
    const start = this.take(length);
    this.textEnd = start + length;
    return start;
  }

  private string(index: number): string {
    return this.strings[index] ?? '';
  }

  private bodyText(index: number): Uint8Array {
    const text = utf8(bodyText(this.string(index)));
    this.bodyTexts[index] = text;
    return text;
  }

  private valueText(index: number): Uint8Array {
    const text = utf8(attributeValueText(this.string(index)));
    this.valueTexts[index] = text;
    return text;
  }

  private keyText(index: number): Uint8Array | null {
    let text = this.keyTexts[index];
    if (text === undefined) {
      const key = this.string(index);
      text = isArrayIndex(key) ? null : this.formatter.key(key);
      this.keyTexts[index] = text;
    }
    return text;
  }
}

/** Whether `key` is among the first `count` of `keys`. */
function seenBefore(keys: ReadonlyArray<Uint8Array | null>, count: number, key: Uint8Array): boolean {
  for (let i = 0; i < count; i++) if (keys[i] === key) return true;
  return false;
}

/** Whether `bytes[start, end)` is ASCII without line breaks: a body the text output shows as it is. */
function isAsciiLine(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (byte >= 0x80 || byte === 0x0a || byte === 0x0d) return false;
  }
  return true;
}

/** Whether `bytes[start, end)` is an ASCII value `key=value` shows as it is: not empty, no white space, `"` or `=` (values.ts). */
function isPlainAscii(bytes: Uint8Array, start: number, end: number): boolean {
  if (start === end) return false;
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (byte >= 0x80 || quotesValue(byte)) return false;
  }
  return true;
}

/** A key a JS object lists before its other keys, in numeric order: `0`, `1`, … up to 2³² − 2. */
function isArrayIndex(key: string): boolean {
  return /^(?:0|[1-9]\d{0,9})$/.test(key) && Number(key) < 2 ** 32 - 1;
}
