import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CART, CHECKOUT, runViewer, writeServiceSnapshot } from './support/snapshots.ts';

const CHROMIUM = '/usr/bin/chromium';
const directory = mkdtempSync(join(tmpdir(), 'ttlog-'));
const shop = join(directory, 'shop');
mkdirSync(shop);
await writeServiceSnapshot(shop, CHECKOUT);
await writeServiceSnapshot(shop, CART);
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

      const bars = await page.$$eval('#chart rect.bar', (rects) => rects.map((rect) => ({ level: rect.getAttribute('data-level'), count: Number(rect.getAttribute('data-count')), height: rect.getBoundingClientRect().height })));
      const byLevel: Record<string, number> = {};
      for (const bar of bars) byLevel[bar.level!] = (byLevel[bar.level!] ?? 0) + bar.count;
      assert.equal(byLevel, { DEBUG: 1, INFO: 5, WARN: 1, ERROR: 2, FATAL: 1 });
      assert.ok(bars.every((bar) => bar.height > 0), 'every bar is drawn');
      assert.match((await page.textContent('#chart'))!, /records per second by severity/);

      const rowCount = () => page.$$eval('#rows tr', (rows) => rows.length);
      assert.is(await rowCount(), 10);
      await page.fill('#filter', 'payment');
      assert.is(await rowCount(), 2);
      assert.equal(await page.$$eval('#rows tr td:nth-child(5)', (cells) => cells.map((cell) => cell.textContent)), ['payment slow', 'payment failed: card declined']);
      await page.fill('#filter', '/inventory|declined/');
      assert.is(await rowCount(), 2);
      await page.fill('#filter', '');
      await page.selectOption('#level', '4');
      assert.equal(await page.$$eval('#rows tr td:nth-child(2)', (cells) => cells.map((cell) => cell.textContent)), ['ERROR', 'ERROR', 'FATAL']);
      assert.match((await page.textContent('#count'))!, /^3 of 10 records/);
      await page.fill('#filter', 'cart');
      assert.is(await rowCount(), 1, 'both filters apply');

      assert.equal(errors, []);
      assert.ok(requests.every((url) => url.startsWith('file:')), `no network: ${requests.join(', ')}`);
    } finally {
      await browser.close();
    }
  });
} else {
  test(`Chromium test skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`, () => {
    console.warn(`SKIPPED: the HTML report's browser test needs ${CHROMIUM}; install it with: apt-get install -y chromium`);
  });
}

test.after(() => rmSync(directory, { recursive: true, force: true }));

test.run();
