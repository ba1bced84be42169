/**
 * Overlapping snapshots of one ring (periodic, manual and shutdown, written through the real SDK)
 * shown with each record once in every output of the real CLI, with the copies counted; a second
 * ring of the same process (same pid and service) kept apart; files without a ring identity
 * never merged.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { readSnapshots, SnapshotExporter, TTLogProcessor } from 'ttlog';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { otel } from '../../../spec/support/otel.ts';
import { skipTest } from '../../../spec/support/skip.ts';
import { runView } from '../src/run.ts';
import { type CommandResult, ROOT, runViewer } from './support/snapshots.ts';

const FIXTURE = fileURLToPath(new URL('../../../spec/fixtures/v1-basic.bin', import.meta.url));
const directory = mkdtempSync(join(tmpdir(), 'ttlog-'));
const RECORDS = 2000;
const TRACE = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };

/**
 * `count` records (every 100th an ERROR, every 50th in TRACE's trace) logged in three parts, with
 * a periodic snapshot after the first, a manual one after the second and the shutdown one at the
 * end: the snapshots overlap as a service's do.
 */
async function writeOverlapping(into: string, service: string, count: number): Promise<void> {
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory: into, serviceName: service }), capacity: 4096, intervalMs: 20 });
  const provider = new otel.LoggerProvider({ processors: [processor as never] });
  const logger = provider.getLogger('orders');
  const traced = otel.trace.setSpanContext(otel.context.active(), TRACE);
  const log = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      logger.emit({
        body: `${service} record ${i}`,
        severityNumber: i % 100 === 99 ? 17 : 9,
        attributes: { i },
        ...(i % 50 === 0 ? { context: traced } : {}),
      } as never);
    }
  };
  const third = Math.floor(count / 3);
  log(0, third);
  const deadline = Date.now() + 5000;
  while (readdirSync(into).filter((name) => name.includes(service)).length === 0 && Date.now() < deadline) await sleep(5);
  log(third, 2 * third);
  await processor.snapshot();
  log(2 * third, count);
  await provider.shutdown();
}

const oneRing = join(directory, 'one-ring');
mkdirSync(oneRing);
await writeOverlapping(oneRing, 'orders', RECORDS);
/** The snapshot files in `into`, by name. */
function snapshotPaths(into: string): string[] {
  return readdirSync(into)
    .sort()
    .map((name) => join(into, name));
}
const snapshotsOfOneRing = snapshotPaths(oneRing).length;

/** Two rings in this one process: same pid, same service. */
const twoRings = join(directory, 'two-rings');
mkdirSync(twoRings);
await writeOverlapping(twoRings, 'orders', 300);
await writeOverlapping(twoRings, 'orders', 300);

/** `ttlog-view ARGS` in this process (the subprocess is run once, for the text output). */
async function view(args: readonly string[]): Promise<CommandResult> {
  const output = { stdout: '', stderr: '' };
  const sink = (name: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk, _encoding, done) {
        output[name] += String(chunk);
        done();
      },
    });
  const code = await runView(args, { stdout: sink('stdout'), stderr: sink('stderr'), env: {} });
  return { code, ...output };
}

const DUPLICATES_NOTE = /(\d+) duplicate records merged \(held by more than one snapshot of the same ring; each record is shown once\)/;

function bodyCounts(bodies: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const body of bodies) counts.set(body, (counts.get(body) ?? 0) + 1);
  return counts;
}

/** Every `orders record N` for N < count exactly once, in order. */
function assertEachOnce(bodies: readonly string[], count: number): void {
  assert.equal(
    bodies,
    Array.from({ length: count }, (_, i) => `orders record ${i}`),
  );
}

test(`text: ${RECORDS} records from ${snapshotsOfOneRing} overlapping snapshots, each once, the copies counted on stderr`, async () => {
  assert.ok(snapshotsOfOneRing >= 3, 'periodic, manual and shutdown snapshots');
  const result = await runViewer([oneRing]);
  assert.is(result.code, 0, result.stderr);
  const lines = result.stdout.trimEnd().split('\n');
  assertEachOnce(
    lines.map((line) => /orders record \d+/.exec(line)![0]),
    RECORDS,
  );
  const note = DUPLICATES_NOTE.exec(result.stderr);
  assert.ok(note, result.stderr);
  const inFiles = (await readSnapshots(snapshotPaths(oneRing))).files.reduce((sum, file) => sum + file.metadata.records, 0);
  assert.is(Number(note![1]), inFiles - RECORDS);
});

test('--json, --otlp and --trace-id: each record once', async () => {
  const json = await view(['--json', oneRing]);
  assert.is(json.code, 0, json.stderr);
  assertEachOnce(
    json.stdout
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as { body: string }).body),
    RECORDS,
  );
  assert.match(json.stderr, DUPLICATES_NOTE);

  const otlp = await view(['--otlp', oneRing]);
  assert.is(otlp.code, 0, otlp.stderr);
  const otlpBodies = otlp.stdout
    .trimEnd()
    .split('\n')
    .flatMap((line) => (JSON.parse(line) as OtlpRequest).resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((l) => l.body.stringValue))));
  assertEachOnce(otlpBodies, RECORDS);

  const traced = await view(['--json', '--trace-id', TRACE.traceId, oneRing]);
  const tracedBodies = traced.stdout
    .trimEnd()
    .split('\n')
    .map((line) => (JSON.parse(line) as { body: string }).body);
  assert.is(tracedBodies.length, RECORDS / 50);
  assert.ok([...bodyCounts(tracedBodies).values()].every((count) => count === 1));
});

interface OtlpRequest {
  resourceLogs: { scopeLogs: { logRecords: { body: { stringValue: string } }[] }[] }[];
}

interface StatsJson {
  files: { ring: string | null; records: number; duplicates: number; recordsInFile: number }[];
  overall: { records: number; duplicates: number; severities: Record<string, number> };
}

test('--stats: records and errors counted once, the copies said per file and overall', async () => {
  const text = await view(['--stats', oneRing]);
  assert.is(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`overall: ${snapshotsOfOneRing} files, ${RECORDS} records`));
  assert.match(text.stdout, /severity: INFO 1980, ERROR 20\n/);
  assert.match(text.stdout, DUPLICATES_NOTE);
  assert.match(text.stdout, /already shown from an earlier snapshot of its ring/);

  const json = await view(['--stats', '--json', oneRing]);
  const stats = JSON.parse(json.stdout) as StatsJson;
  assert.is(stats.overall.records, RECORDS);
  assert.equal(stats.overall.severities, { INFO: 1980, ERROR: 20 });
  const inFiles = stats.files.reduce((sum, file) => sum + file.recordsInFile, 0);
  assert.is(stats.overall.duplicates, inFiles - RECORDS);
  assert.is(
    stats.files.reduce((sum, file) => sum + file.duplicates, 0),
    stats.overall.duplicates,
  );
  assert.is(new Set(stats.files.map((file) => file.ring)).size, 1);
  assert.match(stats.files[0]!.ring!, /^[0-9a-f]{32}$/);
});

test('--html and --last: each record once', async () => {
  const page = join(directory, 'report.html');
  const html = await view(['--html', page, oneRing]);
  assert.is(html.code, 0, html.stderr);
  const content = readFileSync(page, 'utf8');
  const rows = JSON.parse(/<script id="data" type="application\/json">(.*?)<\/script>/s.exec(content)![1]!) as string[][];
  assertEachOnce(
    rows.map((row) => row[5]!),
    RECORDS,
  );
  assert.match(content, DUPLICATES_NOTE);

  const last = await view(['--json', '--last', '150', oneRing]);
  assert.equal(
    last.stdout
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as { body: string }).body),
    Array.from({ length: 150 }, (_, i) => `orders record ${RECORDS - 150 + i}`),
  );
});

test('two rings of one process (same pid and service): both kept, each record of each once', async () => {
  const result = await view(['--stats', '--json', twoRings]);
  const stats = JSON.parse(result.stdout) as StatsJson;
  assert.is(new Set(stats.files.map((file) => file.ring)).size, 2);
  assert.is(stats.overall.records, 600);
  const json = await view(['--json', twoRings]);
  const counts = bodyCounts(
    json.stdout
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as { body: string }).body),
  );
  // Both rings logged the same bodies: each shows up once per ring.
  assert.is(counts.size, 300);
  assert.ok([...counts.values()].every((count) => count === 2));
});

test('files without a ring identity are never merged', async () => {
  const old = join(directory, 'old');
  mkdirSync(old);
  copyFileSync(FIXTURE, join(old, 'a.bin'));
  copyFileSync(FIXTURE, join(old, 'b.bin'));
  const one = await view([FIXTURE]);
  const both = await view([old]);
  assert.is(both.code, 0, both.stderr);
  assert.is(both.stdout.trimEnd().split('\n').length, 2 * one.stdout.trimEnd().split('\n').length);
  assert.not.match(both.stderr, DUPLICATES_NOTE);
});

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
if (hasTmux) {
  test('-i: the list holds each record once and its title counts the copies', async () => {
    // As in interactive.spec.ts: a real terminal, without the CI variables that make Ink draw only its last frame.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'CI' && key !== 'CONTINUOUS_INTEGRATION' && !key.startsWith('CI_')));
    const session = `ttlog-view-duplicates-${process.pid}`;
    const tmux = (...args: string[]) => execFileSync('tmux', ['-L', session, ...args], { encoding: 'utf8', env });
    const command = `cd '${ROOT}' && '${process.execPath}' --import tsx packages/ttlog-view/src/bin.ts -i '${oneRing}'; sleep 60`;
    tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '30', command);
    try {
      let screen = '';
      for (let attempt = 0; attempt < 200 && !screen.includes('records,'); attempt++) {
        await sleep(100);
        screen = tmux('capture-pane', '-p', '-t', session);
      }
      assert.match(screen, new RegExp(`${RECORDS} of ${RECORDS} records, ${snapshotsOfOneRing} files, \\d+ duplicates merged`));
      tmux('send-keys', '-t', session, 'q');
    } finally {
      tmux('kill-server');
    }
  });
} else {
  skipTest(test, '-i: the list holds each record once and its title counts the copies', 'tmux is not installed');
}

test.after(() => rmSync(directory, { recursive: true, force: true }));

test.run();
