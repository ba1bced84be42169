/**
 * `--html FILE`: one self-contained page (no network: inline CSS, script and data, and a content
 * security policy that forbids fetching anything) with a chart of records per second by severity
 * and a filterable table of the records. Every text from the files shows its terminal-active
 * characters escaped as the text output does (values.ts): the page shows what the terminal
 * would, and stays safe to print with `cat`.
 */
import { writeFile } from 'node:fs/promises';
import { type DuplicateCounts, duplicatesText } from './format-stats.ts';
import { TextFormatter } from './format-text.ts';
import { SEVERITY_NAMES, severityLabel, severityRange } from './severity.ts';
import type { SnapshotSource, ViewRecord } from './sources.ts';
import { attributesText, terminalText, valueText } from './values.ts';

/** Rows the table holds (the newest); the chart counts every record. Keeps a 1M-record page usable. */
export const MAX_TABLE_ROWS = 20_000;
/** Bars the chart draws at most; longer ranges get wider buckets. */
const MAX_BARS = 600;
const LEVEL_COLORS = ['#9e9e9e', '#42a5f5', '#43a047', '#fbc02d', '#e53935', '#6a1b9a', '#bdbdbd'];
const LEVEL_NAMES = [...SEVERITY_NAMES, 'UNSPECIFIED'];

/** A table row: time text, level index (0–6), level label, source, scope, body, attributes, trace id. */
type Row = [string, number, string, string, string, string, string, string];

export interface HtmlReportOptions {
  readonly utc: boolean;
}

/** Reads the timeline and writes the report to `path`. */
export async function writeHtmlReport(
  path: string,
  sources: readonly SnapshotSource[],
  timeline: AsyncIterable<ViewRecord[]>,
  options: HtmlReportOptions,
  merged: Pick<DuplicateCounts, 'duplicates'>,
): Promise<void> {
  const times = new TextFormatter({ utc: options.utc, color: false });
  const perSecond = new Map<number, number[]>();
  const rows = new Array<Row>(MAX_TABLE_ROWS);
  let total = 0;
  for await (const batch of timeline)
    for (const { record, source } of batch) {
      const level = levelIndex(record.severityNumber);
      const second = Number(record.timestamp / 1_000_000_000n);
      let counts = perSecond.get(second);
      if (counts === undefined) {
        counts = [0, 0, 0, 0, 0, 0, 0];
        perSecond.set(second, counts);
      }
      counts[level]!++;
      rows[total++ % MAX_TABLE_ROWS] = [
        times.time(record.timestamp),
        level,
        terminalText(severityLabel(record.severityNumber, record.severityText)),
        record.producer === 0 ? source.label : `${source.label}#${record.producer}`,
        terminalText(record.scope.name),
        record.body === undefined ? '' : valueText(record.body),
        attributesText(record.attributes),
        record.traceId ?? '',
      ];
    }
  const kept = Math.min(total, MAX_TABLE_ROWS);
  const tableRows = Array.from({ length: kept }, (_, i) => rows[(total - kept + i) % MAX_TABLE_ROWS]!);
  const chart = chartSvg(perSecond, times);
  await writeFile(path, page({ sources, total, rows: tableRows, chart, duplicates: merged.duplicates }), { mode: 0o600 });
}

function levelIndex(severityNumber: number): number {
  const range = severityRange(severityNumber);
  return range === undefined ? 6 : SEVERITY_NAMES.indexOf(range);
}

/** Stacked bars per bucket (one second, or wider for long ranges), as inline SVG. */
export function chartSvg(perSecond: Map<number, number[]>, times: TextFormatter): string {
  const width = 960;
  const height = 220;
  const bottom = 190;
  if (perSecond.size === 0) return `<svg id="chart" width="${width}" height="${height}" role="img"><text x="10" y="100">no records</text></svg>`;
  const seconds = [...perSecond.keys()];
  const first = Math.min(...seconds);
  const last = Math.max(...seconds);
  const bucketSeconds = Math.max(1, Math.ceil((last - first + 1) / MAX_BARS));
  const bucketCount = Math.floor((last - first) / bucketSeconds) + 1;
  const buckets = Array.from({ length: bucketCount }, () => [0, 0, 0, 0, 0, 0, 0]);
  for (const [second, counts] of perSecond) {
    const bucket = buckets[Math.floor((second - first) / bucketSeconds)]!;
    for (let level = 0; level < 7; level++) bucket[level]! += counts[level]!;
  }
  const peak = Math.max(...buckets.map((bucket) => bucket.reduce((sum, count) => sum + count, 0)));
  const barWidth = (width - 60) / bucketCount;
  const bars: string[] = [];
  buckets.forEach((bucket, index) => {
    let y = bottom;
    const start = first + index * bucketSeconds;
    bucket.forEach((count, level) => {
      if (count === 0) return;
      const barHeight = (count / peak) * (bottom - 20);
      y -= barHeight;
      const x = 50 + index * barWidth;
      const label = `${times.time(BigInt(start) * 1_000_000_000n)}: ${count} ${LEVEL_NAMES[level]}`;
      bars.push(
        `<rect class="bar" data-level="${LEVEL_NAMES[level]}" data-count="${count}" x="${x.toFixed(2)}" y="${y.toFixed(2)}" width="${Math.max(1, barWidth - 1).toFixed(2)}" height="${barHeight.toFixed(2)}" fill="${LEVEL_COLORS[level]}"><title>${escapeHtml(label)}</title></rect>`,
      );
    });
  });
  const unit = bucketSeconds === 1 ? 'second' : `${bucketSeconds} seconds`;
  return [
    `<svg id="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="records per ${unit} by severity">`,
    `<line x1="50" y1="${bottom}" x2="${width - 10}" y2="${bottom}" stroke="#888"/>`,
    `<text x="4" y="24" font-size="11">${peak}</text><text x="4" y="${bottom}" font-size="11">0</text>`,
    `<text x="50" y="${bottom + 16}" font-size="11">${escapeHtml(times.time(BigInt(first) * 1_000_000_000n))}</text>`,
    `<text x="${width - 10}" y="${bottom + 16}" font-size="11" text-anchor="end">${escapeHtml(times.time(BigInt(last) * 1_000_000_000n))}</text>`,
    `<text x="${width / 2}" y="12" font-size="12" text-anchor="middle">records per ${unit} by severity</text>`,
    ...bars,
    '</svg>',
  ].join('\n');
}

function page(data: { sources: readonly SnapshotSource[]; total: number; rows: Row[]; chart: string; duplicates: number }): string {
  const files = data.sources
    .map(
      (source) =>
        `<li>${escapeHtml(source.label)} — ${escapeHtml(terminalText(source.metadata.reason))}, ${source.metadata.records} records, ${escapeHtml(terminalText(source.path))}</li>`,
    )
    .join('\n');
  const legend = LEVEL_NAMES.map((name, level) => `<span><i style="background:${LEVEL_COLORS[level]}"></i>${name}</span>`).join(' ');
  const options = SEVERITY_NAMES.map((name, level) => `<option value="${level}">${name}+</option>`).join('');
  const notes = [
    data.total > data.rows.length ? `The table holds the newest ${data.rows.length} of ${data.total} records.` : '',
    data.duplicates > 0 ? `${duplicatesText(data.duplicates)}.` : '',
  ];
  const note = notes.filter((text) => text !== '').join(' ');
  // "<" is escaped so that no string in the data can close the script element.
  const json = JSON.stringify(data.rows).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>ttlog report</title>
<style>
body { font: 13px system-ui, sans-serif; margin: 16px; color: #222; }
#legend span { margin-right: 12px; } #legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
#controls { margin: 12px 0; } #filter { width: 360px; }
table { border-collapse: collapse; width: 100%; font: 12px ui-monospace, monospace; }
td, th { text-align: left; padding: 2px 6px; border-bottom: 1px solid #eee; vertical-align: top; }
tr.l3 td.level { color: #b8860b; } tr.l4 td.level, tr.l5 td.level { color: #c62828; font-weight: bold; }
</style>
</head>
<body>
<h1>ttlog report</h1>
<ul id="files">${files}</ul>
${data.chart}
<div id="legend">${legend}</div>
<div id="controls">
<input id="filter" type="search" placeholder="filter: text or /regex/"> <select id="level"><option value="-1">all levels</option>${options}</select>
<span id="count"></span> <span>${escapeHtml(note)}</span>
</div>
<table><thead><tr><th>time</th><th>level</th><th>source</th><th>scope</th><th>body</th><th>attributes</th><th>trace</th></tr></thead><tbody id="rows"></tbody></table>
<script id="data" type="application/json">${json}</script>
<script>
const rows = JSON.parse(document.getElementById('data').textContent);
const body = document.getElementById('rows');
const filter = document.getElementById('filter');
const level = document.getElementById('level');
const count = document.getElementById('count');
const SHOWN = 2000;
function matcher(text) {
  const regex = /^\\/(.+)\\/([a-z]*)$/.exec(text);
  if (regex) { try { const re = new RegExp(regex[1], regex[2]); return (line) => re.test(line); } catch { return () => false; } }
  const lower = text.toLowerCase();
  return (line) => line.toLowerCase().includes(lower);
}
function render() {
  const test = matcher(filter.value);
  const min = Number(level.value);
  const matching = rows.filter((row) => (min < 0 || (row[1] >= min && row[1] < 6)) && test(row.join(' ')));
  body.replaceChildren(...matching.slice(0, SHOWN).map((row) => {
    const tr = document.createElement('tr');
    tr.className = 'l' + row[1];
    for (const [index, cell] of [row[0], row[2], row[3], row[4], row[5], row[6], row[7]].entries()) {
      const td = document.createElement('td');
      if (index === 1) td.className = 'level';
      td.textContent = cell;
      tr.appendChild(td);
    }
    return tr;
  }));
  count.textContent = matching.length + ' of ' + rows.length + ' records' + (matching.length > SHOWN ? ' (first ' + SHOWN + ' shown)' : '');
}
filter.addEventListener('input', render);
level.addEventListener('change', render);
render();
</script>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
