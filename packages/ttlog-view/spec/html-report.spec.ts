import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readSnapshot } from 'ttlog';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { skipTest } from '../../../spec/support/skip.ts';
import { MAX_TABLE_ROWS, writeHtmlReport } from '../src/html-report.ts';
import { openSources, type ViewRecord } from '../src/sources.ts';
import { at, CART, CHECKOUT, runViewer, writeServiceSnapshot } from './support/snapshots.ts';

const CHROMIUM = '/usr/bin/chromium';
const directory = mkdtempSync(join(tmpdir(), 'ttlog-'));
const shop = join(directory, 'shop');
mkdirSync(shop);
await writeServiceSnapshot(shop, CHECKOUT);
const cartFile = await writeServiceSnapshot(shop, CART);
const report = join(directory, 'report.html');

test('--html writes one self-contained page', async () => {
  const result = await runViewer(['--html', report, '--utc', shop]);
  assert.is(result.code, 0);
  assert.is(result.stdout, '');
  const html = readFileSync(report, 'utf8');
  assert.not.match(html, /<(script|link|img)[^>]+(src|href)=/i, 'nothing loaded from elsewhere');
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.is(statSync(report).mode & 0o777, 0o600);
});

if (existsSync(CHROMIUM)) {
  test('in Chromium: the chart renders every record by severity and the table filters', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(pathToFileURL(report).href);

      const bars = await page.$$eval('#chart rect.bar', (rects) =>
        rects.map((rect) => ({
          level: rect.getAttribute('data-level'),
          count: Number(rect.getAttribute('data-count')),
          height: rect.getBoundingClientRect().height,
        })),
      );
      const byLevel: Record<string, number> = {};
      for (const bar of bars) byLevel[bar.level!] = (byLevel[bar.level!] ?? 0) + bar.count;
      assert.equal(byLevel, { DEBUG: 1, INFO: 5, WARN: 1, ERROR: 2, FATAL: 1 });
      assert.ok(
        bars.every((bar) => bar.height > 0),
        'every bar is drawn',
      );
      assert.match((await page.textContent('#chart'))!, /records per second by severity/);

      const rowCount = () => page.$$eval('#rows tr', (rows) => rows.length);
      assert.is(await rowCount(), 10);
      await page.fill('#filter', 'payment');
      assert.is(await rowCount(), 2);
      assert.equal(await page.$$eval('#rows tr td:nth-child(5)', (cells) => cells.map((cell) => cell.textContent)), [
        'payment slow',
        'payment failed: card declined',
      ]);
      await page.fill('#filter', '/inventory|declined/');
      assert.is(await rowCount(), 2);
      await page.fill('#filter', '');
      await page.selectOption('#level', '4');
      assert.equal(await page.$$eval('#rows tr td:nth-child(2)', (cells) => cells.map((cell) => cell.textContent)), ['ERROR', 'ERROR', 'FATAL']);
      assert.match((await page.textContent('#count'))!, /^3 of 10 records/);
      await page.fill('#filter', 'cart');
      assert.is(await rowCount(), 1, 'both filters apply');

      assert.equal(errors, []);
      assert.ok(
        requests.every((url) => url.startsWith('file:')),
        `no network: ${requests.join(', ')}`,
      );
    } finally {
      await browser.close();
    }
  });
} else {
  skipTest(test, 'the HTML report in a browser', `${CHROMIUM} is missing (apt-get install -y chromium)`);
}

/** Writes a report of `batches` from the cart snapshot's source straight through writeHtmlReport; returns the page, its table rows and its chart. */
async function reportOf(name: string, records: (base: ViewRecord['record']) => Array<ViewRecord['record']>) {
  const [source] = await openSources([cartFile], (message) => assert.unreachable(message));
  const base = (await readSnapshot(cartFile)).records[0]!;
  await source!.reader.close();
  const list = records(base);
  async function* timeline() {
    for (let i = 0; i < list.length; i += 1000) yield list.slice(i, i + 1000).map((record) => ({ record, source: source! }));
  }
  const path = join(directory, name);
  await writeHtmlReport(path, [source!], timeline(), { utc: true }, { duplicates: 0 });
  const html = readFileSync(path, 'utf8');
  const data = /<script id="data" type="application\/json">(.*?)<\/script>/s.exec(html);
  assert.ok(data, 'the page embeds its rows');
  const chart = /<svg id="chart".*?<\/svg>/s.exec(html)![0];
  return { html, rows: JSON.parse(data![1]!) as Array<[string, number, string, string, string, string, string, string]>, chart, label: source!.label };
}

test('worker records, records without body or severity, and long time ranges are shown as such', async () => {
  const { rows, chart, label } = await reportOf('odd.html', (base) => {
    const { body: _body, ...noBody } = base;
    const { severityText: _text, ...noText } = base;
    return [
      { ...base, producer: 2 },
      { ...noBody, timestamp: base.timestamp + 1_000_000_000n, severityNumber: 0, severityText: 'NOTICE' },
      { ...noText, timestamp: base.timestamp + 1_000_000_000_000n, severityNumber: 0 },
    ];
  });
  assert.is(rows.length, 3);
  assert.is(rows[0]![3], `${label}#2`, "a worker's records name their producer");
  assert.is(rows[1]![3], label, "the owner's records do not");
  assert.is(rows[0]![5], 'cart opened');
  assert.is(rows[1]![5], '', 'no body, empty cell');
  assert.equal([rows[1]![1], rows[1]![2]], [6, 'NOTICE'], "unspecified severity: level 6, the record's own text");
  assert.equal([rows[2]![1], rows[2]![2]], [6, '-']);
  // 1000 seconds in at most 600 bars: two seconds a bar.
  assert.match(chart, /records per 2 seconds by severity/);
  const bars = [...chart.matchAll(/data-level="(\w+)" data-count="(\d+)" x="([\d.]+)"/g)].map(
    (match) => [match[1], Number(match[2]), Number(match[3])] as const,
  );
  assert.equal(
    bars.map(([level, count]) => [level, count]),
    [
      ['INFO', 1],
      ['UNSPECIFIED', 1],
      ['UNSPECIFIED', 1],
    ],
  );
  assert.is(bars[0]![2], bars[1]![2], 'the first two records, a second apart, stack in one two-second bar');
  assert.ok(bars[2]![2] > bars[1]![2]);
});

test('an empty timeline gives an empty table and a chart that says so', async () => {
  const { rows, chart, html } = await reportOf('empty.html', () => []);
  assert.equal(rows, []);
  assert.match(chart, /no records/);
  assert.not.match(html, /The table holds the newest/);
});

test('the table keeps the newest rows and says so; the chart counts them all', async () => {
  const total = MAX_TABLE_ROWS + 5;
  const { rows, chart, html } = await reportOf('many.html', (base) =>
    Array.from({ length: total }, (_, i) => ({ ...base, timestamp: at(i), body: `record ${i}` })),
  );
  assert.is(rows.length, MAX_TABLE_ROWS);
  assert.is(rows[0]![5], 'record 5');
  assert.is(rows.at(-1)![5], `record ${total - 1}`);
  assert.match(html, new RegExp(`The table holds the newest ${MAX_TABLE_ROWS} of ${total} records.`));
  const counted = [...chart.matchAll(/data-count="(\d+)"/g)].reduce((sum, match) => sum + Number(match[1]), 0);
  assert.is(counted, total);
});

test.after(() => rmSync(directory, { recursive: true, force: true }));

test.run();
