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
import type { ViewRecord } from './sources.ts';
import { attributesText, valueText } from './values.ts';

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

/** Formats records as text lines; one instance per output, it keeps caches. */
export class TextFormatter {
  private readonly levelCache = new Map<string, string>();
  private readonly labelCache = new Map<string, string>();
  private cachedSecond = Number.NaN;
  private cachedPrefix = '';

  constructor(private readonly options: TextFormatOptions) {}

  format({ record, source }: ViewRecord): string {
    let line = `${this.time(record.timestamp)} ${this.level(record.severityNumber, record.severityText)} `;
    line += this.source(record.producer === 0 ? source.label : `${source.label}#${record.producer}`);
    if (record.scope.name !== '') line += ` [${record.scope.name}]`;
    if (record.body !== undefined) line += ` ${valueText(record.body)}`;
    const attributes = attributesText(record.attributes);
    if (attributes !== '') line += ` ${attributes}`;
    return line;
  }

  /** `2026-01-31T12:00:00.123Z` (UTC) or `2026-01-31 13:00:00.123` (local). */
  time(timestamp: bigint): string {
    const millis = Number(timestamp / 1_000_000n);
    const second = Math.floor(millis / 1000);
    if (second !== this.cachedSecond) {
      this.cachedSecond = second;
      this.cachedPrefix = this.options.utc ? new Date(second * 1000).toISOString().slice(0, 19) : localPrefix(new Date(second * 1000));
    }
    const text = `${this.cachedPrefix}.${String(millis - second * 1000).padStart(3, '0')}${this.options.utc ? 'Z' : ''}`;
    return this.options.color ? styleText('dim', text) : text;
  }

  private level(severityNumber: number, severityText: string | undefined): string {
    const key = severityRange(severityNumber) === undefined ? `${severityNumber}:${severityText ?? ''}` : String(severityNumber);
    let label = this.levelCache.get(key);
    if (label === undefined) {
      label = severityLabel(severityNumber, severityText).padEnd(5);
      const range = severityRange(severityNumber);
      if (this.options.color && range !== undefined) label = styleText(LEVEL_STYLES[range], label);
      this.levelCache.set(key, label);
    }
    return label;
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

function localPrefix(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}
