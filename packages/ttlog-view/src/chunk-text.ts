/**
 * The text output of one snapshot read straight from its chunks' bytes: no record objects, no
 * strings per line. For the viewer's default output of a single file without filters, the
 * common `ttlog-view snapshot.bin | less`.
 *
 * A record's fields are read with the reader's record cursor (`SnapshotReader.cursors`) and its
 * line written as bytes, from pieces encoded once per chunk or per run of lines: the line's
 * start, the scope, ` key=` and the interned bodies and values by string-table index. Text
 * values stored in place are copied from the chunk as they are when they need no quoting or
 * escaping. This is faster than the way through records and strings and leaves far less garbage
 * to collect (docs/viewer.md, "Speed", measured with bench/viewer.ts).
 *
 * The lines are the same bytes `TextFormatter.write` gives for the records the reader decodes:
 * both write through the formatter's pieces and the same value texts (values.ts), and a record
 * whose attributes the object the reader builds would reorder or merge (integer-like keys, a
 * key twice) is read whole into that object and written by the formatter itself.
 */
import type { RecordCursor } from 'ttlog';
import { bodyText, type TextFormatter, writeAttributeValue } from './format-text.ts';
import { type LineBytes, utf8 } from './line-bytes.ts';
import type { LineOutput } from './output.ts';
import { describeError, type ReportProblem, reportDamage, type SnapshotSource } from './sources.ts';
import { attributeValueText, quotesValue } from './values.ts';

/** More attributes than this and a record is read whole: the repeated-key check below is quadratic. */
const MAX_DIRECT_ATTRIBUTES = 32;
/**
 * Lines written before the output may flush: as many records as the reference writer puts in a
 * chunk, so that its chunks are written whole, with no walk over them first.
 */
const LINES_PER_PART = 4096;

/**
 * Writes the lines of `source`'s records to `output`, chunk by chunk, and reports damage as
 * the merged timeline does. `counted` hears of each chunk's records (the progress line).
 */
export async function writeSourceText(
  source: SnapshotSource,
  formatter: TextFormatter,
  output: LineOutput,
  report: ReportProblem,
  counted: (records: number) => void,
): Promise<void> {
  // A chunk's first part is written inside the reader's cursors() callback, so that a chunk
  // that fails midway is damage (reported by the reader) with none of its lines shown.
  const chunks = source.reader.cursors((cursor) => {
    const chunk = new ChunkText(cursor, formatter, source);
    chunk.writeLines(output, LINES_PER_PART);
    return chunk;
  });
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
        chunk.writeLines(output, LINES_PER_PART);
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
 * A chunk's records as text lines. A chunk with more records than a part is checked whole
 * first (`RecordCursor.check`), so that it can be written a part at a time and still either
 * whole or not at all.
 */
export class ChunkText {
  /** ` key=` by string-table index; null for a key the reader's object would move to the front (integer-like). */
  private readonly keyTexts: Array<Uint8Array | null> = [];
  private readonly bodyTexts: Uint8Array[] = [];
  private readonly valueTexts: Uint8Array[] = [];
  /**
   * The current record's ` key=` texts so far, for the repeated-key check: the formatter keeps one
   * per key, so the same key at two string indexes has the same one.
   */
  private readonly recordKeys = new Array<Uint8Array | null>(MAX_DIRECT_ATTRIBUTES).fill(null);
  /** The producer of the previous record, whose line start the next record's line begins with until its own producer is read. */
  private producer = 0;

  constructor(
    private readonly cursor: RecordCursor,
    private readonly formatter: TextFormatter,
    private readonly source: SnapshotSource,
  ) {
    if (cursor.records > LINES_PER_PART) cursor.check();
  }

  /** The chunk's records. */
  get records(): number {
    return this.cursor.records;
  }

  /** Records whose lines are not written yet. */
  get remaining(): number {
    return this.cursor.remaining;
  }

  /**
   * Writes the lines of up to `count` more records, each with its line break. On a malformed
   * record it throws with `out` as it was: the chunk is damage.
   */
  writeLines(out: LineBytes, count: number): void {
    const cursor = this.cursor;
    const lines = Math.min(count, cursor.remaining);
    const before = out.length;
    try {
      for (let i = 0; i < lines; i++) {
        const lineStart = out.length;
        if (!this.writeLine(out)) {
          out.truncate(lineStart);
          cursor.restart();
          this.formatter.write({ record: cursor.record(), source: this.source }, out);
        }
        out.lineFeed();
      }
    } catch (error) {
      out.truncate(before);
      throw error;
    }
  }

  /** One record's line; false, partway, for a record whose attributes the formatter must see as the reader's object. */
  private writeLine(out: LineBytes): boolean {
    const cursor = this.cursor;
    const lineStart = out.length;
    cursor.next();
    const timestamp = cursor.timestamp;
    const severityNumber = cursor.severityNumber;
    const severityText = cursor.severityText;
    const formatter = this.formatter;
    // The line starts as the previous record's producer would have it; most records share it.
    const guessed = formatter.head(timestamp, severityNumber, severityText, this.source, this.producer);
    out.bytes(guessed);
    // The trace id comes after the attributes in the file: room for it now, filled below.
    const traceAt = out.length;
    out.bytes(formatter.traceRoom);
    out.bytes(formatter.scope(cursor.scope));
    this.writeBody(out);
    if (!this.writeAttributes(out)) return false;
    // The trace id's digits come from its bytes: the cursor builds its text (and the span id's)
    // only when asked, and asking for every traced record showed in bench/viewer.ts with its
    // records given a trace context (docs/viewer.md, "Speed").
    cursor.end();
    const traceEnd = cursor.traceIdEnd;
    if (traceEnd > 0) formatter.fillTraceBytes(traceAt, cursor.bytes, cursor.traceIdStart, traceEnd, out);
    const producer = cursor.producer;
    if (producer !== this.producer) {
      this.producer = producer;
      out.replace(lineStart, guessed.length, formatter.head(timestamp, severityNumber, severityText, this.source, producer));
    }
    return true;
  }

  private writeBody(out: LineBytes): void {
    const cursor = this.cursor;
    switch (cursor.nextValue()) {
      case 'absent':
        return;
      case 'string': {
        const index = cursor.stringIndex;
        out.bytes(this.bodyTexts[index] ?? this.bodyText(index));
        return;
      }
      case 'text': {
        const { bytes, textStart, textEnd } = cursor;
        if (isPrintableAscii(bytes, textStart, textEnd)) out.spaceAndCopy(bytes, textStart, textEnd);
        else out.text(bodyText(bytes.toString('utf8', textStart, textEnd)));
        return;
      }
      default:
        if (cursor.decoded !== undefined) out.text(bodyText(cursor.decoded));
    }
  }

  /** Writes ` key=value` for each attribute; false, partway, when the reader's object must be built instead. */
  private writeAttributes(out: LineBytes): boolean {
    const cursor = this.cursor;
    const pairs = cursor.attributePairs();
    if (pairs < 0 || pairs > MAX_DIRECT_ATTRIBUTES) return false;
    const keys = this.recordKeys;
    for (let i = 0; i < pairs; i++) {
      const index = cursor.keyIndex();
      const keyText = index >= 0 ? this.keyText(index) : null;
      if (keyText === null || seenBefore(keys, i, keyText)) return false;
      keys[i] = keyText;
      out.bytes(keyText);
      switch (cursor.nextValue()) {
        case 'unsigned':
          out.digits(cursor.decoded as number);
          break;
        case 'string': {
          const stringIndex = cursor.stringIndex;
          out.bytes(this.valueTexts[stringIndex] ?? this.valueText(stringIndex));
          break;
        }
        case 'text': {
          const { bytes, textStart, textEnd } = cursor;
          if (isPlainAscii(bytes, textStart, textEnd)) out.copy(bytes, textStart, textEnd);
          else out.text(attributeValueText(bytes.toString('utf8', textStart, textEnd)));
          break;
        }
        default:
          writeAttributeValue(cursor.decoded, out);
      }
    }
    return true;
  }

  private bodyText(index: number): Uint8Array {
    const text = utf8(bodyText(this.cursor.string(index)));
    this.bodyTexts[index] = text;
    return text;
  }

  private valueText(index: number): Uint8Array {
    const text = utf8(attributeValueText(this.cursor.string(index)));
    this.valueTexts[index] = text;
    return text;
  }

  private keyText(index: number): Uint8Array | null {
    let text = this.keyTexts[index];
    if (text === undefined) {
      const key = this.cursor.string(index);
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

/** Whether `bytes[start, end)` is printable ASCII: a body the text output shows as it is (values.ts escapes the rest). */
function isPrintableAscii(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (byte >= 0x7f || byte < 0x20) return false;
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
