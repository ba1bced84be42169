/**
 * `-i`: the full-screen viewer, built on Ink (React for terminals): scroll the timeline, filter as
 * you type, jump between errors, expand a record, see the files. Ink puts the terminal in raw
 * mode and restores it on exit, Ctrl-C included.
 */
import { Box, render, Text, useApp, useInput, useStdout } from 'ink';
import { createElement as h, type ReactElement, useEffect, useMemo, useState } from 'react';
import type { AnyValue } from 'ttlog';
import { isoNanos } from './format-json.ts';
import { TextFormatter, textFormatFor } from './format-text.ts';
import { ERROR_SEVERITY, severityLabel } from './severity.ts';
import type { SnapshotSource, ViewRecord } from './sources.ts';
import { attributeValueText, terminalLines, terminalText } from './values.ts';

export interface InteractiveOptions {
  readonly utc: boolean;
  /** Whole trace ids in the list. */
  readonly wide: boolean;
}

/** Rows the record list keeps while the detail pane is open: the selected record and one on either side. */
const MIN_LIST_ROWS = 3;

/** Runs the viewer until the user quits. The alternate screen keeps the shell's scrollback as it was. */
export async function runInteractive(
  records: readonly ViewRecord[],
  sources: readonly SnapshotSource[],
  options: InteractiveOptions,
  duplicates: number,
): Promise<void> {
  const formatter = new TextFormatter(textFormatFor({ utc: options.utc, color: false, wide: options.wide }, sources));
  const lines = records.map((item) => formatter.format(item));
  // Ink has no alternate-screen option; these two sequences (xterm's 1049) are all it takes.
  process.stdout.write('\x1b[?1049h\x1b[H');
  // Ctrl-C is handled by the viewer (as a quit key) so that it clears its frame first: Ink
  // prints the last frame again on exit, which would otherwise land on the shell's screen.
  const app = render(h(Viewer, { records, lines, sources, duplicates }), { exitOnCtrlC: false, patchConsole: false });
  const stop = () => app.unmount();
  process.once('SIGTERM', stop);
  try {
    await app.waitUntilExit();
  } finally {
    process.off('SIGTERM', stop);
    process.stdout.write('\x1b[?1049l');
  }
}

interface ViewerProps {
  readonly records: readonly ViewRecord[];
  readonly lines: readonly string[];
  readonly sources: readonly SnapshotSource[];
  /** Copies of records left out of `records` because an earlier snapshot of the same ring held them. */
  readonly duplicates: number;
}

function Viewer({ records, lines, sources, duplicates }: ViewerProps): ReactElement {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const height = Math.max(8, (stdout.rows || 24) - 1);
  const width = Math.max(20, stdout.columns || 80);
  const [filter, setFilter] = useState('');
  const [editing, setEditing] = useState(false);
  const [selected, setSelected] = useState(0);
  const [expanded, setExpanded] = useState(false);
  const [showFiles, setShowFiles] = useState(false);
  const [quitting, setQuitting] = useState(false);
  useEffect(() => {
    if (quitting) exit();
  }, [quitting, exit]);

  const visible = useMemo(() => {
    const needle = filter.toLowerCase();
    const indexes: number[] = [];
    for (let i = 0; i < lines.length; i++) if (needle === '' || lines[i]!.toLowerCase().includes(needle)) indexes.push(i);
    return indexes;
  }, [filter, lines]);
  const current = Math.min(selected, Math.max(0, visible.length - 1));
  const record = visible.length > 0 ? records[visible[current]!] : undefined;
  const details = expanded && record !== undefined ? fitted(detailLines(record), height - 3 - MIN_LIST_ROWS) : [];
  const listHeight = Math.max(MIN_LIST_ROWS, height - 2 - (details.length > 0 ? details.length + 1 : 0));

  const move = (to: number) => setSelected(Math.max(0, Math.min(visible.length - 1, to)));
  const jumpToError = (step: 1 | -1) => {
    for (let i = current + step; i >= 0 && i < visible.length; i += step) {
      if (records[visible[i]!]!.record.severityNumber >= ERROR_SEVERITY) return move(i);
    }
  };

  useInput((typed, pressed) => {
    let input = typed;
    let key = pressed;
    if (key.ctrl && input === 'c') return setQuitting(true);
    if (editing) {
      if (key.return) setEditing(false);
      else if (key.escape) {
        setFilter('');
        setEditing(false);
      } else if (key.backspace || key.delete) setFilter((text) => text.slice(0, -1));
      else if (input !== '' && !key.ctrl && !key.meta) setFilter((text) => text + input);
      setSelected(0);
      return;
    }
    if (input.length > 1 && !input.startsWith('/') && !key.ctrl && !key.meta) {
      // Keys typed faster than a frame arrive as one input; the first counts, as in less(1).
      input = input[0]!;
      if (input === '\r') key = { ...key, return: true };
    }
    if (input.startsWith('/')) {
      // Typed quickly (or pasted), "/text" arrives as one input.
      setEditing(true);
      setFilter(input.slice(1));
      setSelected(0);
    } else if (input === 'q') setQuitting(true);
    else if (input === 'n') jumpToError(1);
    else if (input === 'N' || input === 'p') jumpToError(-1);
    else if (input === 'f') setShowFiles((shown) => !shown);
    else if (key.return || input === ' ') setExpanded((open) => !open);
    else if (key.escape) setExpanded(false);
    else if (key.upArrow || input === 'k') move(current - 1);
    else if (key.downArrow || input === 'j') move(current + 1);
    else if (key.pageUp) move(current - listHeight);
    else if (key.pageDown) move(current + listHeight);
    else if (input === 'g' || key.home) move(0);
    else if (input === 'G' || key.end) move(visible.length - 1);
  });

  const position = visible.length === 0 ? '' : `  at ${current + 1}`;
  if (quitting) return h(Text, null, '');
  // The record lines come from the formatter escaped; the rest is escaped here (values.ts).
  const header = terminalText(
    `ttlog-view  ${visible.length} of ${records.length} records, ${sources.length} file${sources.length === 1 ? '' : 's'}${duplicates === 0 ? '' : `, ${duplicates} duplicates merged`}${position}${filter === '' ? '' : `  filter: ${filter}`}`,
  );
  const footer = editing
    ? terminalText(`filter: ${filter}▏  (Enter keep · Esc clear)`)
    : '↑↓ PgUp PgDn g G move · / filter · n N next/prev error · Enter expand · f files · q quit';

  let body: ReactElement[];
  if (showFiles) {
    body = sources.map((source) =>
      h(
        Text,
        { key: source.path, wrap: 'truncate' },
        terminalText(
          `${source.label}  ${source.metadata.reason}  ${source.metadata.records} records  ${source.reader.damage.length > 0 ? 'DAMAGED  ' : ''}${source.path}`,
        ),
      ),
    );
  } else {
    const top = Math.max(0, Math.min(current - Math.floor(listHeight / 2), visible.length - listHeight));
    body = visible.slice(top, top + listHeight).map((index, offset) => {
      const isSelected = top + offset === current;
      const severity = records[index]!.record.severityNumber;
      const color = severity >= ERROR_SEVERITY ? 'red' : severity >= 13 ? 'yellow' : undefined;
      return h(Text, { key: index, wrap: 'truncate', inverse: isSelected, ...(color === undefined ? {} : { color }) }, lines[index]!.slice(0, width * 2));
    });
    if (visible.length === 0) body = [h(Text, { key: 'none', dimColor: true }, 'no records match')];
  }
  return h(
    Box,
    { flexDirection: 'column', height },
    h(Text, { bold: true, wrap: 'truncate' }, header),
    h(Box, { flexDirection: 'column', flexGrow: 1 }, ...body),
    details.length > 0
      ? h(
          Box,
          { flexDirection: 'column', borderStyle: 'single', borderTop: true, borderBottom: false, borderLeft: false, borderRight: false },
          ...details.map((line, i) => h(Text, { key: i, wrap: 'truncate' }, line)),
        )
      : null,
    h(Text, { dimColor: !editing, wrap: 'truncate' }, footer),
  );
}

/** `lines`, or as many as `rows` allows with the last saying how many more there are. */
function fitted(lines: string[], rows: number): string[] {
  if (lines.length <= rows) return lines;
  const shown = Math.max(1, rows - 1);
  return [...lines.slice(0, shown), `… ${lines.length - shown} more lines`];
}

/**
 * A record's fields for the expanded view, one per line; a string with line breaks (a stack
 * trace) on lines of its own, indented under its first. Terminal-active characters escaped.
 */
export function detailLines({ record, source }: ViewRecord): string[] {
  const lines = [
    `time       ${isoNanos(record.timestamp)}   observed ${isoNanos(record.observedTimestamp)}`,
    `severity   ${severityLabel(record.severityNumber, record.severityText)} (${record.severityNumber}${record.severityText === undefined ? '' : `, "${record.severityText}"`})`,
    `source     ${source.label}${record.producer === 0 ? '' : ` thread ${record.producer}`}  ${source.path}`,
    `scope      ${record.scope.name}${record.scope.version === undefined ? '' : ` ${record.scope.version}`}`,
  ];
  if (record.eventName !== undefined) lines.push(`event      ${record.eventName}`);
  if (record.traceId !== undefined) lines.push(`trace      ${record.traceId}  span ${record.spanId ?? '-'}  flags ${record.traceFlags ?? 0}`);
  if (record.body !== undefined) lines.push(...valueLines('body       ', record.body));
  for (const [key, value] of Object.entries(record.attributes)) lines.push(...valueLines(`  ${terminalText(key)} = `, value));
  if (record.truncated) lines.push('(record was trimmed to fit its ring slot)');
  return lines.map(terminalText);
}

/**
 * `label` and `value` as `key=value` shows it; a string with line breaks unquoted, as its lines
 * (terminalLines), the ones after the first indented to start under it.
 */
function valueLines(label: string, value: AnyValue): string[] {
  if (typeof value !== 'string' || !value.includes('\n')) return [label + attributeValueText(value)];
  const indent = ' '.repeat(label.length);
  return terminalLines(value).map((line, i) => (i === 0 ? label : indent) + line);
}
