/**
 * Attribute and body values → compact one-line text (`key=value` in the text output, `--where`
 * matching, the HTML table and the interactive viewer): strings bare, nested values as compact
 * JSON, 64-bit integers as their digits, bytes as hex.
 *
 * Everything the viewer shows of a file's content passes {@link terminalText} (or, line by line,
 * {@link terminalLines}) or comes out of a function here that applies it: a logged string is data, and must not be able to drive the
 * terminal of whoever reads it (docs/viewer.md, "Safe to show").
 */
import type { AnyValue } from 'ttlog';

/** A value as one line: strings as they are (terminal-active characters escaped), everything else compact. */
export function valueText(value: AnyValue): string {
  if (typeof value === 'string') return terminalText(value);
  return nestedText(value);
}

/**
 * The UTF-16 code units escaped wherever the viewer shows text, as [first, last] ranges: the C0
 * controls (tab and line feed included), then DEL and the C1 controls, which a terminal acts on
 * (ESC starts the sequences that retitle a window, move the cursor or rewrite the screen; U+009B
 * is CSI to terminals that take C1 from UTF-8); the Arabic letter mark, the left-to-right and
 * right-to-left marks, the line and paragraph separators (which some programs take as line
 * breaks) and the bidirectional embeddings, overrides and isolates, which make text read in
 * another order than it is stored.
 */
const TERMINAL_ACTIVE: ReadonlyArray<readonly [number, number]> = [
  [0x0000, 0x001f],
  [0x007f, 0x009f],
  [0x061c, 0x061c],
  [0x200e, 0x200f],
  [0x2028, 0x202e],
  [0x2066, 0x2069],
];
/** The ranges after C0's: the ones JSON.stringify writes as they are. */
const ACTIVE_BEYOND_C0 = TERMINAL_ACTIVE.slice(1);

function characterClass(ranges: ReadonlyArray<readonly [number, number]>): string {
  return ranges.map(([first, last]) => `${unicodeEscape(first)}-${unicodeEscape(last)}`).join('');
}

/** Bare in `key=value`: no white space, `"`, `=` or terminal-active character. */
const PLAIN_TOKEN = new RegExp(`^[^\\s"=${characterClass(TERMINAL_ACTIVE)}]+$`);
/** Terminal-active characters in JSON text. */
const JSON_ACTIVE = new RegExp(`[${characterClass(ACTIVE_BEYOND_C0)}]`, 'g');

export const NANOS_PER_SECOND = 1_000_000_000n;

/** A value inside `key=value`: strings with spaces, quotes, `=`, control characters or nothing in them are quoted. */
export function attributeValueText(value: AnyValue): string {
  if (typeof value === 'string') return isPlainToken(value) ? value : quotedText(value);
  if (typeof value === 'number') return String(value);
  return nestedText(value);
}

/** Whether a UTF-16 code unit is one of {@link TERMINAL_ACTIVE}; printable ASCII is told apart first, and most text is that. */
function isTerminalActive(code: number): boolean {
  if (code < 0x20) return true;
  if (code < 0x7f) return false;
  for (const [first, last] of ACTIVE_BEYOND_C0) if (code >= first && code <= last) return true;
  return false;
}

/** JSON's own short escapes, which JSON.stringify also writes: backspace, tab, line feed, form feed, carriage return. */
const SHORT_ESCAPES: Record<number, string> = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r' };

/**
 * `text` with every terminal-active character as a visible escape in JSON's notation: `\n`,
 * `\t` and the other short ones, else `\u001b`, `\u009b`, `\u202e`. A quoted value's escapes are
 * then JSON's and the bare ones read the same way. Returns `text` itself when nothing needs it,
 * which is almost always: the common case is one pass over the text.
 */
export function terminalText(text: string): string {
  let i = 0;
  while (i < text.length && !isTerminalActive(text.charCodeAt(i))) i++;
  if (i === text.length) return text;
  let escaped = text.slice(0, i);
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    escaped += isTerminalActive(code) ? (SHORT_ESCAPES[code] ?? unicodeEscape(code)) : text[i];
  }
  return escaped;
}

/**
 * `text` cut at its line breaks (LF or CR LF), each line as {@link terminalText} shows it: for a
 * multi-line value (a stack trace) shown on lines of its own, as the interactive viewer's detail
 * pane does. Every other terminal-active character stays escaped, a lone CR and the Unicode line
 * and paragraph separators included; one line, the usual case, comes back as `[terminalText(text)]`.
 */
export function terminalLines(text: string): string[] {
  return text.split(LINE_BREAK).map(terminalText);
}

const LINE_BREAK = /\r?\n/;

/**
 * `text` as a JSON string literal with the terminal-active characters JSON leaves as they are
 * (DEL, C1, separators, bidirectional controls) escaped too: the same string to a JSON parser.
 */
function quotedText(text: string): string {
  return terminalText(JSON.stringify(text));
}

/**
 * JSON text (as JSON.stringify writes it, line breaks between items allowed) with the
 * terminal-active characters inside its strings as `\u` escapes: the same values to a JSON
 * parser, so `--json` stays lossless and is still safe to print.
 */
export function terminalSafeJson(json: string): string {
  JSON_ACTIVE.lastIndex = 0;
  if (!JSON_ACTIVE.test(json)) return json;
  return json.replace(JSON_ACTIVE, (char) => unicodeEscape(char.charCodeAt(0)));
}

/** `\u001b`: a code unit as a JSON (and JavaScript) escape. */
function unicodeEscape(code: number): string {
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Sets `object[key]` as an own property, also for the key `__proto__`, which a plain assignment
 * takes as a new prototype: attribute keys are data.
 */
export function setOwnKey(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}

/** `key=value key=value`, in the record's key order. */
export function attributesText(attributes: Record<string, AnyValue>): string {
  let text = '';
  for (const [key, value] of Object.entries(attributes)) text += `${text === '' ? '' : ' '}${terminalText(key)}=${attributeValueText(value)}`;
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

/** Whether an ASCII character makes a `key=value` value quoted: a control character (white space among them) or DEL, space, '"' or '='. */
export function quotesValue(code: number): boolean {
  return code < 0x21 || code === 0x22 || code === 0x3d || code === 0x7f;
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
      return quotedText(value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    default:
      break;
  }
  if (value instanceof Uint8Array) return `0x${Buffer.from(value.buffer, value.byteOffset, value.length).toString('hex')}`;
  if (Array.isArray(value)) return `[${value.map(nestedText).join(',')}]`;
  const entries = Object.entries(value).map(([key, item]) => `${quotedText(key)}:${nestedText(item)}`);
  return `{${entries.join(',')}}`;
}
