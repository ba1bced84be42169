/**
 * Attribute and body values → compact one-line text (`key=value` in the text output, `--where`
 * matching, the HTML table and the interactive viewer): strings bare, nested values as compact
 * JSON, 64-bit integers as their digits, bytes as hex.
 */
import type { AnyValue } from 'ttlog';

/** A value as one line: strings as they are (line breaks escaped), everything else compact. */
export function valueText(value: AnyValue): string {
  if (typeof value === 'string') return escapeLineBreaks(value);
  return nestedText(value);
}

const PLAIN_TOKEN = /^[^\s"=]+$/;
export const NANOS_PER_SECOND = 1_000_000_000n;

/** A value inside `key=value`: strings with spaces, quotes, `=` or nothing in them are quoted. */
export function attributeValueText(value: AnyValue): string {
  if (typeof value === 'string') return isPlainToken(value) ? value : JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  return nestedText(value);
}

/** `key=value key=value`, in the record's key order. */
export function attributesText(attributes: Record<string, AnyValue>): string {
  let text = '';
  for (const key in attributes) text += `${text === '' ? '' : ' '}${key}=${attributeValueText(attributes[key])}`;
  return text;
}

/**
 * PLAIN_TOKEN.test(), with ASCII text checked in a loop: the regex call was about 2% of the
 * instructions of the viewer's text run (valgrind, 200k records of bench/viewer.ts's kind).
 */
function isPlainToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return PLAIN_TOKEN.test(text);
    if (quotesValue(code)) return false;
  }
  return true;
}

/** Whether an ASCII character makes a `key=value` value quoted: white space (tab, line feed, vertical tab, form feed, carriage return, space), '"' or '='. */
export function quotesValue(code: number): boolean {
  return (code >= 0x09 && code <= 0x0d) || code === 0x20 || code === 0x22 || code === 0x3d;
}

/** What a time shows that Date cannot hold (more than 275 000 years from 1970: only a damaged or hand-made file has one). */
const INVALID_TIME = 'invalid-time';

/** `date` as ISO 8601 UTC; a date Date cannot hold as `invalid-time`, where toISOString() would throw. */
export function isoText(date: Date): string {
  return Number.isNaN(date.getTime()) ? INVALID_TIME : date.toISOString();
}

/** The whole seconds since the epoch of a time in nanoseconds, rounded down (also before 1970). */
export function floorSeconds(timestamp: bigint): bigint {
  const seconds = timestamp / NANOS_PER_SECOND;
  return seconds * NANOS_PER_SECOND > timestamp ? seconds - 1n : seconds;
}

/** A second since the epoch as `2026-01-31T12:00:00` (UTC) or `2026-01-31 13:00:00` (local); `invalid-time` beyond Date. */
export function secondText(seconds: bigint, utc: boolean): string {
  const date = new Date(Number(seconds) * 1000);
  if (utc || Number.isNaN(date.getTime())) return isoText(date).slice(0, 19);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

function nestedText(value: AnyValue): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    default:
      break;
  }
  if (value instanceof Uint8Array) return `0x${Buffer.from(value.buffer, value.byteOffset, value.length).toString('hex')}`;
  if (Array.isArray(value)) return `[${value.map(nestedText).join(',')}]`;
  const entries = Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}:${nestedText(item)}`);
  return `{${entries.join(',')}}`;
}

function escapeLineBreaks(text: string): string {
  return text.includes('\n') || text.includes('\r') ? text.replace(/\r/g, '\\r').replace(/\n/g, '\\n') : text;
}
