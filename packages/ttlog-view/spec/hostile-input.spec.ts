/**
 * What someone who can write log content (or name a file in the snapshot directory) can do to
 * the person who views it: nothing. Every output shows terminal-active characters as visible
 * escapes, byte for byte the same in the text written straight from the chunks and through the
 * records; `--json` and `--otlp` keep every string exactly; attribute keys are data.
 * The interactive viewer's part is in interactive.spec.ts.
 */

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { SnapshotExporter, TTLogProcessor } from 'ttlog';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { otel } from '../../../spec/support/otel.ts';
import { CLEAR_C1, CLEAR_C1_SHOWN, HOSTILE, KEYS_AS_DATA, RAW_CONTROL, RETITLE, RETITLE_SHOWN, REVERSED, REVERSED_SHOWN } from './support/hostile.ts';
import { at, hrTime, runViewer, writeServiceSnapshot } from './support/snapshots.ts';

const directory = mkdtempSync(join(tmpdir(), 'ttlog-hostile-'));
const logs = join(directory, 'logs');
mkdirSync(logs);
// A hostile reason, and a file name that is one too (whoever can write the directory can name files).
const file = join(logs, `ttlog-${RETITLE}.bin`);
renameSync(await writeServiceSnapshot(logs, HOSTILE, `reason${RETITLE}`), file);

/** Asserts that `text` holds no terminal-active character but line feeds. */
function assertNoRawControl(text: string, what: string): void {
  const found = RAW_CONTROL.exec(text);
  if (found !== null)
    assert.unreachable(
      `${what}: U+${found[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${found.index}: ${JSON.stringify(text.slice(Math.max(0, found.index - 30), found.index + 30))}`,
    );
}

test('text output: every string from the file escaped, straight from the chunks as through the records', async () => {
  const direct = await runViewer(['--utc', file]);
  // A filter that keeps everything takes the records' way instead of the chunks'.
  const viaRecords = await runViewer(['--utc', '--since', '2000-01-01T00:00:00Z', file]);
  assert.is(direct.code, 0, direct.stderr);
  assert.is(viaRecords.code, 0, viaRecords.stderr);
  assertNoRawControl(direct.stdout, 'straight from the chunks');
  assertNoRawControl(viaRecords.stdout, 'through the records');
  assert.is(direct.stdout, viaRecords.stdout);
  const lines = direct.stdout.split('\n');
  assert.is(lines.length, 6, 'one line per record: no line break of a value ends one');
  // The source column, then the trace id column, blank: these records have no trace.
  const service = `svc${RETITLE_SHOWN}/${process.pid}${' '.repeat(9)}`;
  assert.is(
    lines[0],
    `2026-03-14T15:09:26.000Z notice${RETITLE_SHOWN} ${service} [scope${RETITLE_SHOWN}] body${RETITLE_SHOWN} key${RETITLE_SHOWN}="value${RETITLE_SHOWN}" bare="${RETITLE_SHOWN}" c1="${CLEAR_C1_SHOWN}" reversed="${REVERSED_SHOWN}" tab="a\\tb" del="a\\u007fb" nested={"k${RETITLE_SHOWN}":["v${RETITLE_SHOWN}","${CLEAR_C1_SHOWN}"]}`,
  );
  assert.is(
    lines[1],
    `2026-03-14T15:09:26.001Z INFO   ${service} [scope${RETITLE_SHOWN}] body${RETITLE_SHOWN} key${RETITLE_SHOWN}="value${RETITLE_SHOWN}" bare="${RETITLE_SHOWN}"`,
  );
  assert.is(
    lines[2],
    `2026-03-14T15:09:26.002Z WARN   ${service} [app] naïve ${REVERSED_SHOWN} ${CLEAR_C1_SHOWN} line\\u2028break\\r\\n\\u0000end é="é${RETITLE_SHOWN}"`,
  );
});

test('--json and --otlp keep every string exactly, terminal-active characters as \\u escapes', async () => {
  const json = await runViewer(['--json', file]);
  assert.is(json.code, 0, json.stderr);
  assertNoRawControl(json.stdout, '--json');
  const records = json.stdout
    .trim()
    .split('\n')
    .map(
      (line) =>
        JSON.parse(line) as {
          body: unknown;
          severityText?: string;
          attributes: Record<string, unknown>;
          scope: { name: string };
          source: { service: string; file: string };
        },
    );
  const first = HOSTILE.records[0]!;
  assert.is(records[0]!.body, first.body);
  assert.is(records[0]!.severityText, first.severityText);
  assert.is(records[0]!.scope.name, first.scope);
  assert.equal(records[0]!.attributes, first.attributes);
  assert.is(records[0]!.source.service, HOSTILE.service);
  assert.is(records[0]!.source.file, file);
  assert.is(records[2]!.body, HOSTILE.records[2]!.body);

  const otlp = await runViewer(['--otlp', file]);
  assert.is(otlp.code, 0, otlp.stderr);
  assertNoRawControl(otlp.stdout, '--otlp');
  const request = JSON.parse(otlp.stdout) as {
    resourceLogs: Array<{ scopeLogs: Array<{ scope: { name: string }; logRecords: Array<{ body: { stringValue?: string } }> }> }>;
  };
  const scopes = request.resourceLogs[0]!.scopeLogs;
  assert.ok(scopes.some((scope) => scope.scope.name === `scope${RETITLE}`));
  const bodies = scopes.flatMap((scope) => scope.logRecords.map((record) => record.body.stringValue));
  assert.ok(bodies.includes(`body${RETITLE}`));
  assert.ok(bodies.includes(HOSTILE.records[2]!.body as string));
});

test('--stats, as text and as JSON: names, reason, path and the cause of a crash escaped', async () => {
  // A worker that dies of an error with a hostile message: the snapshot's cause holds its texts.
  const crashed = join(directory, 'crashed');
  mkdirSync(crashed);
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory: crashed }) });
  const provider = new otel.LoggerProvider({ resource: otel.resourceFromAttributes({ 'service.name': 'billing' }), processors: [processor as never] });
  provider.getLogger(`pay${CLEAR_C1}`).emit({ timestamp: hrTime(at(0)), severityNumber: 17, body: 'charge failed' } as never);
  const worker = new Worker(
    `const error = new Error(${JSON.stringify(`bad ${RETITLE}`)}); error.name = ${JSON.stringify(`Type${REVERSED}Error`)}; throw error;`,
    { eval: true },
  );
  worker.on('error', () => undefined);
  processor.watchWorker(worker);
  for (let i = 0; i < 100 && readdirSync(crashed).length === 0; i++) await sleep(50);

  const text = await runViewer(['--stats', file, crashed]);
  assert.is(text.code, 0, text.stderr);
  assertNoRawControl(text.stdout, '--stats');
  assert.match(text.stdout, `svc${RETITLE_SHOWN}/${process.pid} on `);
  assert.match(text.stdout, `ttlog-${RETITLE_SHOWN}.bin\n`);
  assert.match(text.stdout, `reason: reason${RETITLE_SHOWN} `);
  assert.match(text.stdout, `scopes: app 3, scope${RETITLE_SHOWN} 2\n`);
  assert.match(text.stdout, `    type: "Type${REVERSED_SHOWN}Error"\n    message: "bad ${RETITLE_SHOWN}"\n`);
  assert.match(text.stdout, `\n      Type${REVERSED_SHOWN}Error: bad ${RETITLE_SHOWN}\n          at `);

  const json = await runViewer(['--stats', '--json', file, crashed]);
  assert.is(json.code, 0, json.stderr);
  assertNoRawControl(json.stdout, '--stats --json');
  const stats = JSON.parse(json.stdout) as {
    files: Array<{ file: string; reason: string; service: string; cause?: Record<string, string>; scopes: Record<string, number> }>;
  };
  assert.is(stats.files[0]!.file, file);
  assert.is(stats.files[0]!.reason, `reason${RETITLE}`);
  assert.is(stats.files[0]!.service, HOSTILE.service);
  assert.is(stats.files[1]!.cause!.message, `bad ${RETITLE}`);
  assert.is(stats.files[1]!.scopes[`pay${CLEAR_C1}`], 1);
});

test('--html: the page shows the escapes the text output shows, and holds no raw control character', async () => {
  const report = join(directory, 'report.html');
  const result = await runViewer(['--html', report, file]);
  assert.is(result.code, 0, result.stderr);
  const html = readFileSync(report, 'utf8');
  assertNoRawControl(html, 'the HTML report');
  const rows = JSON.parse(/<script id="data" type="application\/json">(.*)<\/script>/.exec(html)![1]!) as string[][];
  assert.is(rows[0]![2], `notice${RETITLE_SHOWN}`);
  assert.is(rows[0]![3], `svc${RETITLE_SHOWN}/${process.pid}`);
  assert.is(rows[0]![4], `scope${RETITLE_SHOWN}`);
  assert.is(rows[0]![5], `body${RETITLE_SHOWN}`);
  assert.match(rows[0]![6]!, `key${RETITLE_SHOWN}="value${RETITLE_SHOWN}" bare="${RETITLE_SHOWN}"`);
  assert.match(html, `<li>svc${RETITLE_SHOWN}/${process.pid} — reason${RETITLE_SHOWN}, 5 records, `);
});

test('warnings name a hostile file name escaped', async () => {
  const junk = join(directory, 'junk');
  mkdirSync(junk);
  writeFileSync(join(junk, `${RETITLE}.bin`), 'not a snapshot');
  const result = await runViewer([junk]);
  assert.is(result.code, 1);
  assertNoRawControl(result.stderr, 'stderr');
  assert.match(result.stderr, `${RETITLE_SHOWN}.bin: `);
});

test('attribute keys are data: __proto__ and constructor kept as keys in --json, --otlp and the text', async () => {
  const json = await runViewer(['--json', file]);
  const records = json.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { body: unknown; attributes: Record<string, unknown> });
  const keys = records.find((record) => record.body === KEYS_AS_DATA)!;
  // JSON.parse makes "__proto__" an own key, as the viewer must have written it.
  assert.ok(Object.hasOwn(keys.attributes, '__proto__'), JSON.stringify(keys.attributes));
  assert.equal(Object.entries(keys.attributes), [
    ['constructor', 'c'],
    ['bytes', 'AQI='],
    ['__proto__', 'own'],
  ]);
  const map = records.at(-1)!.body as Record<string, unknown>;
  assert.equal(Object.entries(map), [
    ['__proto__', 'own'],
    ['toString', 't'],
  ]);

  const otlp = JSON.parse((await runViewer(['--otlp', file])).stdout) as {
    resourceLogs: Array<{
      scopeLogs: Array<{
        logRecords: Array<{ body: { stringValue?: string; kvlistValue?: { values: Array<{ key: string }> } }; attributes: Array<{ key: string }> }>;
      }>;
    }>;
  };
  const otlpRecords = otlp.resourceLogs.flatMap((resource) => resource.scopeLogs.flatMap((scope) => scope.logRecords));
  const otlpKeys = otlpRecords.find((record) => record.body.stringValue === KEYS_AS_DATA)!;
  assert.equal(
    otlpKeys.attributes.map((attribute) => attribute.key),
    ['constructor', 'bytes', '__proto__'],
  );
  const otlpMap = otlpRecords.find((record) => record.body.kvlistValue !== undefined)!;
  assert.equal(
    otlpMap.body.kvlistValue!.values.map((entry) => entry.key),
    ['__proto__', 'toString'],
  );

  const text = await runViewer(['--utc', file]);
  assert.match(text.stdout, `${KEYS_AS_DATA} constructor=c bytes=0x0102 __proto__=own\n`);
  assert.match(text.stdout, ' {"__proto__":"own","toString":"t"}\n');
});

test.after(() => rmSync(directory, { recursive: true, force: true }));

test.run();
