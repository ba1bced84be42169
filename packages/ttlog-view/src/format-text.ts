/**
 * The default output: one line per record —
 * `time LEVEL service/pid[#thread] trace [scope] body key=value …`, in columns: the level padded
 * to the widest label (`DEBUG3`), `service/pid` to the widest of the files shown, the trace id
 * (its first 8 hex digits, all 32 with `wide`) or as many spaces. Every part from the file has
 * its terminal-active characters escaped (values.ts; the source label is escaped in sources.ts).
 *
 * Per pino's habit, what repeats is prepared once: colored level labels are built up front and
 * the date part of the time is reused while records stay within one second, which is what keeps
 * printing ahead of decoding in bench/viewer.ts.
 */
import { inspect } from 'node:util';
import type { AnyValue, SnapshotScope } from 'ttlog';
import { LineBytes, utf8 } from './line-bytes.ts';
import { type SeverityName, severityLabel, severityRange } from './severity.ts';
import type { SnapshotSource, ViewRecord } from './sources.ts';
import { attributeValueText, floorSeconds, NANOS_PER_SECOND, secondText, terminalText, valueText } from './values.ts';

/** How the text lines look. */
export interface TextFormatOptions {
  readonly utc: boolean;
  readonly color: boolean;
  /** Whole trace ids (32 hex digits) instead of their first 8. */
  readonly wide?: boolean;
  /**
   * The width `service/pid` is padded to: the widest label of the files shown, so that the
   * columns after it line up. A wider label (a worker thread's `#N`) widens it from then on.
   */
  readonly sourceWidth?: number;
}

/** A name of Node's table of terminal styles (`util.inspect.colors`). */
type Style = string;

const LEVEL_STYLES: Record<SeverityName, readonly Style[]> = {
  TRACE: ['gray'],
  DEBUG: ['blue'],
  INFO: ['green'],
  WARN: ['yellow'],
  ERROR: ['red'],
  FATAL: ['bgRed', 'white', 'bold'],
};
const TIME_STYLE: readonly Style[] = ['dim'];
const SOURCE_STYLE: readonly Style[] = ['cyan'];
const TRACE_STYLE: readonly Style[] = ['magenta'];
/** The level column: as wide as the widest OpenTelemetry label (`DEBUG3`); a severity text that is wider goes over. */
const LEVEL_WIDTH = 6;
/** Hex digits of a trace id shown: the first 8, as a short git hash (enough to tell a snapshot's traces apart and to grep for), or all 32. */
const SHORT_TRACE_DIGITS = 8;
const WIDE_TRACE_DIGITS = 32;

/** `.000` … `.999`: the milliseconds of a time, looked up instead of padded per record. */
const MILLIS = Array.from({ length: 1000 }, (_, i) => `.${String(i).padStart(3, '0')}`);
const NANOS_PER_MILLI = 1_000_000n;
const EMPTY: Uint8Array = new Uint8Array(0);

/** Formats records as text lines; one instance per output, it keeps caches. */
export class TextFormatter {
  /** Level labels by severity number (1–24), padded, colored and followed by a space. */
  private readonly levels: string[];
  private readonly otherLevels = new Map<string, string>();
  private readonly labelCache = new Map<string, string>();
  /** ` key=` by attribute key. */
  private readonly keyTexts = new Map<string, Uint8Array>();
  /** The last line's attribute keys and their ` key=` texts, by position: the next line's are most often the same. */
  private readonly lineKeys: string[] = [];
  private readonly lineKeyTexts: Uint8Array[] = [];
  private lastBody: unknown;
  private bodyText = EMPTY;
  private readonly timeOpen: string;
  private readonly timeClose: string;
  /** The time text up to the milliseconds, valid for timestamps in [secondStart, secondStart + 1 s). */
  private secondStart = 1n;
  private secondPrefix = '';
  /** The last line's start (time, level, source), valid for its millisecond, level, source and producer. */
  private headStart = 1n;
  private headEnd = 0n;
  private headLevel = '';
  private headSource: SnapshotSource | undefined;
  private headProducer = 0;
  private headText = EMPTY;
  private lastScope: SnapshotScope | undefined;
  private scopeText = EMPTY;
  /** Where {@link format} writes its line. */
  private readonly scratch = new LineBytes(1024);
  private sourceWidth: number;
  /** Hex digits of the trace id column. */
  private readonly traceDigits: number;
  /**
   * ` ` and the trace id column's room: the color's start, a space per digit, the color's end.
   * Written before the record's trace id is known (the direct text path reads it after the rest
   * of the line), then filled (`fillTrace`); left blank for a record without one.
   */
  readonly traceRoom: Uint8Array;
  /** Where the digits go in {@link traceRoom}. */
  private readonly traceDigitsAt: number;

  constructor(private readonly options: TextFormatOptions) {
    this.levels = Array.from({ length: 25 }, (_, number) => this.levelText(number, undefined));
    const [open = '', close = ''] = options.color ? styled(TIME_STYLE, '\0').split('\0') : [];
    this.timeOpen = open;
    this.timeClose = (options.utc ? 'Z' : '') + close;
    this.sourceWidth = options.sourceWidth ?? 0;
    this.traceDigits = options.wide === true ? WIDE_TRACE_DIGITS : SHORT_TRACE_DIGITS;
    const [traceOpen = '', traceClose = ''] = options.color ? styled(TRACE_STYLE, '\0').split('\0') : [];
    this.traceRoom = utf8(` ${traceOpen}${' '.repeat(this.traceDigits)}${traceClose}`);
    this.traceDigitsAt = 1 + traceOpen.length;
  }

  /** A record's line (without a line break) as a string, for the interactive viewer. */
  format(item: ViewRecord): string {
    this.write(item, this.scratch);
    return this.scratch.takeText();
  }

  /**
   * Writes a record's line (without its line break) to `out`. The parts that repeat from line to
   * line are encoded once: the line's start while records share their millisecond, as a burst
   * does; the scope while records share it, as a chunk's do; the body while it repeats; ` key=`
   * by position while the keys repeat, else by key.
   */
  write({ record, source }: ViewRecord, out: LineBytes): void {
    out.bytes(this.head(record.timestamp, record.severityNumber, record.severityText, source, record.producer));
    const traceAt = out.length;
    out.bytes(this.traceRoom);
    if (record.traceId !== undefined) this.fillTrace(traceAt, record.traceId, out);
    out.bytes(this.scope(record.scope));
    const body = record.body;
    if (body !== undefined) {
      if (body !== this.lastBody) {
        this.lastBody = body;
        this.bodyText = utf8(bodyText(body));
      }
      out.bytes(this.bodyText);
    }
    const attributes = record.attributes;
    let position = 0;
    for (const key in attributes) {
      let keyText = this.lineKeyTexts[position];
      if (this.lineKeys[position] !== key) {
        keyText = this.key(key);
        this.lineKeys[position] = key;
        this.lineKeyTexts[position] = keyText;
      }
      out.bytes(keyText!);
      writeAttributeValue(attributes[key], out);
      position++;
    }
  }

  /** `time LEVEL service/pid[#producer]`, the level and source padded: a line's start. */
  head(timestamp: bigint, severityNumber: number, severityText: string | undefined, source: SnapshotSource, producer: number): Uint8Array {
    const level = severityNumber >= 1 && severityNumber <= 24 ? this.levels[severityNumber]! : this.otherLevel(severityNumber, severityText);
    if (timestamp < this.headStart || timestamp >= this.headEnd || level !== this.headLevel || source !== this.headSource || producer !== this.headProducer) {
      this.headStart = timestamp - (((timestamp % NANOS_PER_MILLI) + NANOS_PER_MILLI) % NANOS_PER_MILLI);
      this.headEnd = this.headStart + NANOS_PER_MILLI;
      this.headLevel = level;
      this.headSource = source;
      this.headProducer = producer;
      this.headText = utf8(this.time(timestamp) + ' ' + level + this.source(producer === 0 ? source.label : `${source.label}#${producer}`));
    }
    return this.headText;
  }

  /**
   * Fills the {@link traceRoom} written at `at` (a position in `out` since its last take) with
   * the digits of `traceId`. A reader's trace id is 32 hex digits; a damaged file's may be
   * fewer, which leave the rest of the room blank.
   */
  fillTrace(at: number, traceId: string, out: LineBytes): void {
    out.asciiAt(at + this.traceDigitsAt, traceId, Math.min(traceId.length, this.traceDigits));
  }

  /** {@link fillTrace} from the trace id's bytes, `bytes[start, end)`: the digits without the id's text. */
  fillTraceBytes(at: number, bytes: Uint8Array, start: number, end: number, out: LineBytes): void {
    out.hexAt(at + this.traceDigitsAt, bytes, start, Math.min(end, start + (this.traceDigits >> 1)));
  }

  /** ` [scope]`, or nothing for a scope without a name. */
  scope(scope: SnapshotScope): Uint8Array {
    if (scope !== this.lastScope) {
      this.lastScope = scope;
      this.scopeText = scope.name === '' ? EMPTY : utf8(` [${terminalText(scope.name)}]`);
    }
    return this.scopeText;
  }

  /** ` key=` */
  key(key: string): Uint8Array {
    let text = this.keyTexts.get(key);
    if (text === undefined) {
      text = utf8(` ${terminalText(key)}=`);
      this.keyTexts.set(key, text);
    }
    return text;
  }

  /** `2026-01-31T12:00:00.123Z` (UTC) or `2026-01-31 13:00:00.123` (local). */
  time(timestamp: bigint): string {
    let offset = timestamp - this.secondStart;
    if (offset < 0n || offset >= NANOS_PER_SECOND) {
      const second = floorSeconds(timestamp);
      this.secondStart = second * NANOS_PER_SECOND;
      this.secondPrefix = this.timeOpen + secondText(second, this.options.utc);
      offset = timestamp - this.secondStart;
    }
    return this.secondPrefix + MILLIS[Math.floor(Number(offset) / 1_000_000)]! + this.timeClose;
  }

  private otherLevel(severityNumber: number, severityText: string | undefined): string {
    const key = `${severityNumber}:${severityText ?? ''}`;
    let label = this.otherLevels.get(key);
    if (label === undefined) {
      label = this.levelText(severityNumber, severityText);
      this.otherLevels.set(key, label);
    }
    return label;
  }

  private levelText(severityNumber: number, severityText: string | undefined): string {
    const label = terminalText(severityLabel(severityNumber, severityText)).padEnd(LEVEL_WIDTH);
    const range = severityRange(severityNumber);
    return (this.options.color && range !== undefined ? styled(LEVEL_STYLES[range], label) : label) + ' ';
  }

  /** `label` (colored) and the spaces that pad it to the source column's width, which it widens if it is wider. */
  private source(label: string): string {
    if (label.length > this.sourceWidth) this.sourceWidth = label.length;
    const padding = ' '.repeat(this.sourceWidth - label.length);
    if (!this.options.color) return label + padding;
    let text = this.labelCache.get(label);
    if (text === undefined) {
      text = styled(SOURCE_STYLE, label);
      this.labelCache.set(label, text);
    }
    return text + padding;
  }
}

/**
 * `text` in the terminal's select-graphic-rendition sequences for `styles`, from Node's own table.
 * Not `util.styleText`: it leaves text plain when stdout is not a terminal (Node 20.20, 22.13 and
 * later), and `--color` asks for color in a pipe too; whether to color is decided once (args.ts).
 */
export function styled(styles: readonly Style[], text: string): string {
  let open = '';
  let close = '';
  for (const style of styles) {
    const codes = inspect.colors[style];
    if (codes === undefined) continue;
    open += `\x1b[${codes[0]}m`;
    close = `\x1b[${codes[1]}m${close}`;
  }
  return open + text + close;
}

/** The text output's options for lines from `sources`: the source column as wide as their widest label. */
export function textFormatFor(options: Omit<TextFormatOptions, 'sourceWidth'>, sources: readonly SnapshotSource[]): TextFormatOptions {
  const sourceWidth = sources.reduce((widest, source) => Math.max(widest, source.label.length), 0);
  return { utc: options.utc, color: options.color, wide: options.wide === true, sourceWidth };
}

/** A body as the text output shows it, after the space that sets it apart. */
export function bodyText(body: AnyValue): string {
  return ' ' + valueText(body);
}

/** An attribute value as `key=value` shows it; a count or a small id without a string in between. */
export function writeAttributeValue(value: AnyValue, out: LineBytes): void {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) out.digits(value);
  else out.text(attributeValueText(value));
}
