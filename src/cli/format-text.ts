/**
 * The default output: one line per record —
 * `time LEVEL service/pid[#thread] [scope] body key=value …`.
 *
 * Per pino's habit, what repeats is prepared once: colored level labels are built up front and
 * the date part of the time is reused while records stay within one second, which is what keeps
 * printing ahead of decoding in bench/viewer.ts.
 */
import { styleText } from 'node:util';
import { severityLabel, severityRange, type SeverityName } from './severity.ts';
import type { SnapshotScope } from '../types.ts';
import type { ViewRecord } from './sources.ts';
import { attributeValueText, floorSeconds, NANOS_PER_SECOND, secondText, valueText } from './values.ts';

export interface TextFormatOptions {
  readonly utc: boolean;
  readonly color: boolean;
}

type Style = Parameters<typeof styleText>[0];

const LEVEL_STYLES: Record<SeverityName, Style> = {
  TRACE: 'gray',
  DEBUG: 'blue',
  INFO: 'green',
  WARN: 'yellow',
  ERROR: 'red',
  FATAL: ['bgRed', 'white', 'bold'],
};

/** `.000` … `.999`: the milliseconds of a time, looked up instead of padded per record. */
const MILLIS = Array.from({ length: 1000 }, (_, i) => `.${String(i).padStart(3, '0')}`);
const NANOS_PER_MILLI = 1_000_000n;

/** Formats records as text lines; one instance per output, it keeps caches. */
export class TextFormatter {
  /** Level labels by severity number (1–24), padded, colored and followed by a space. */
  private readonly levels: string[];
  private readonly otherLevels = new Map<string, string>();
  private readonly labelCache = new Map<string, string>();
  /** ` key=` by attribute key. */
  private readonly keyTexts = new Map<string, string>();
  /** The last line's attribute keys and their ` key=` texts, by position: the next line's are most often the same. */
  private readonly lineKeys: string[] = [];
  private readonly lineKeyTexts: string[] = [];
  private lastBody: unknown;
  private bodyText = '';
  private readonly timeOpen: string;
  private readonly timeClose: string;
  /** The time text up to the milliseconds, valid for timestamps in [secondStart, secondStart + 1 s). */
  private secondStart = 1n;
  private secondPrefix = '';
  /** The last line's start (time, level, source), valid for its millisecond, level, source and producer. */
  private headStart = 1n;
  private headEnd = 0n;
  private headLevel = '';
  private headSource: ViewRecord['source'] | undefined;
  private headProducer = 0;
  private head = '';
  private lastScope: SnapshotScope | undefined;
  private scopeText = '';

  constructor(private readonly options: TextFormatOptions) {
    this.levels = Array.from({ length: 25 }, (_, number) => this.levelText(number, undefined));
    const [open = '', close = ''] = options.color ? styleText('dim', '\0').split('\0') : [];
    this.timeOpen = open;
    this.timeClose = (options.utc ? 'Z' : '') + close;
  }

  /**
   * Everything a record shows is appended to one string. The parts that repeat from line to line
   * come from caches: the line's start (time, level, source) while records share their
   * millisecond, as a burst does; the scope while records share it, as a chunk's do; the body
   * text while it repeats; ` key=` by position while the keys repeat, else by key. This cut the
   * time to format and encode a line by about a fifth, in a loop over 200k records of
   * bench/viewer.ts's snapshot.
   */
  format({ record, source }: ViewRecord): string {
    const severity = record.severityNumber;
    const level = severity >= 1 && severity <= 24 ? this.levels[severity]! : this.otherLevel(severity, record.severityText);
    const timestamp = record.timestamp;
    if (timestamp < this.headStart || timestamp >= this.headEnd || level !== this.headLevel || source !== this.headSource || record.producer !== this.headProducer) {
      this.headStart = timestamp - (timestamp % NANOS_PER_MILLI + NANOS_PER_MILLI) % NANOS_PER_MILLI;
      this.headEnd = this.headStart + NANOS_PER_MILLI;
      this.headLevel = level;
      this.headSource = source;
      this.headProducer = record.producer;
      this.head = joined(this.time(timestamp), ' ', level, this.source(record.producer === 0 ? source.label : `${source.label}#${record.producer}`));
    }
    const scope = record.scope;
    if (scope !== this.lastScope) {
      this.lastScope = scope;
      this.scopeText = scope.name === '' ? '' : joined(' [', scope.name, ']');
    }
    let line = this.head + this.scopeText;
    const body = record.body;
    if (body !== undefined) {
      if (body !== this.lastBody) {
        this.lastBody = body;
        this.bodyText = ' ' + valueText(body);
      }
      line += this.bodyText;
    }
    const attributes = record.attributes;
    let position = 0;
    for (const key in attributes) {
      let keyText = this.lineKeyTexts[position];
      if (this.lineKeys[position] !== key) {
        keyText = this.keyText(key);
        this.lineKeys[position] = key;
        this.lineKeyTexts[position] = keyText;
      }
      line += keyText! + attributeValueText(attributes[key]);
      position++;
    }
    return line;
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

  private keyText(key: string): string {
    let text = this.keyTexts.get(key);
    if (text === undefined) {
      text = joined(' ', key, '=');
      this.keyTexts.set(key, text);
    }
    return text;
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
    const label = severityLabel(severityNumber, severityText).padEnd(5);
    const range = severityRange(severityNumber);
    return joined(this.options.color && range !== undefined ? styleText(LEVEL_STYLES[range], label) : label, ' ');
  }

  private source(label: string): string {
    if (!this.options.color) return label;
    let styled = this.labelCache.get(label);
    if (styled === undefined) {
      styled = styleText('cyan', label);
      this.labelCache.set(label, styled);
    }
    return styled;
  }
}

/**
 * The parts as one flat string, for the caches: `a + b` makes a rope (a V8 cons string), which
 * every line built from it has to walk again when the output is encoded. Formatting and encoding
 * bench/viewer.ts's lines took a tenth less with flat cached parts (a loop over 200k records);
 * `Array.join` copies into a flat string.
 */
function joined(...parts: string[]): string {
  return parts.join('');
}
