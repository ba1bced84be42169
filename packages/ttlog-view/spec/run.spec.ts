import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import { compress } from 'lz4-wasm-nodejs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { replaceChunk, splitSnapshot } from '../../../spec/support/snapshot-chunks.ts';
import { createCborDecoder, createCborEncoder } from '../../../src/format/cbor.ts';
import { CHUNK_MAGIC, encodeBlock } from '../../../src/format/file-format.ts';
import { runView } from '../src/run.ts';
import { VERSION } from '../src/version.ts';
import { at, CART, CHECKOUT, ROOT, runViewer, TRACE_ORDER, TRACE_STOCK, writeServiceSnapshot } from './support/snapshots.ts';

const GOLDEN = join(ROOT, 'packages/ttlog-view/spec/golden');
const directory = mkdtempSync(join(tmpdir(), 'ttlog-'));
const shop = join(directory, 'shop');
mkdirSync(shop);
const checkoutFile = await writeServiceSnapshot(shop, CHECKOUT);
const cartFile = await writeServiceSnapshot(shop, CART);

/** A directory of its own under the test directory. */
function subdirectory(name: string): string {
  const path = join(directory, name);
  mkdirSync(path);
  return path;
}

/** A snapshot in `into` of `count` `tick N` records a millisecond apart: two chunks (4096 + 904) for 5000. */
function writeTicks(into: string, count = 5000): Promise<string> {
  const records = Array.from({ length: count }, (_, i) => ({ at: at(i), severityNumber: 9, body: `tick ${i}`, scope: 'clock' }));
  return writeServiceSnapshot(into, { service: 'clock', records, capacity: 8192 });
}

/** The text without its color sequences. */
function uncolored(text: string): string {
  return text.replaceAll(/\x1b\[\d+m/g, '');
}

/** Output with what differs between runs (pid, host, paths) replaced, so it can be compared to a golden file. */
function normalizeText(text: string): string {
  return text.replaceAll(`/${process.pid}`, '/PID');
}

function normalizeJson(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .map((line) => {
        const record = JSON.parse(line) as { source: Record<string, unknown> };
        record.source = { ...record.source, file: (record.source.file as string).includes('-checkout-') ? 'CHECKOUT' : 'CART', hostname: 'HOST', pid: 0 };
        return JSON.stringify(record);
      })
      .join('\n') + '\n'
  );
}

/** Compares with spec/golden/NAME; UPDATE_GOLDEN=1 rewrites the file instead. */
function assertGolden(name: string, actual: string): void {
  const path = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, actual);
  assert.fixture(actual, readFileSync(path, 'utf8'));
}

test('text output of two services merged by time matches the golden file', async () => {
  const result = await runViewer(['--utc', shop]);
  assert.is(result.stderr, '');
  assert.is(result.code, 0);
  assertGolden('shop.txt', normalizeText(result.stdout));
});

test('one file alone, its text written straight from its chunks, shows what the merged timeline shows for it', async () => {
  const alone = await runViewer(['--utc', checkoutFile]);
  // A filter that keeps every record sends them through the reader's records and the merge instead.
  const throughRecords = await runViewer(['--utc', '--since', '1970-01-01T00:00:00Z', checkoutFile]);
  assert.is(alone.code, 0);
  assert.is(alone.stderr, '');
  assert.is(alone.stdout, throughRecords.stdout);
  const golden = readFileSync(join(GOLDEN, 'shop.txt'), 'utf8')
    .split('\n')
    .filter((line) => line.includes(' checkout/PID'));
  assert.equal(normalizeText(alone.stdout).trimEnd().split('\n'), golden);
});

test('JSON output matches the golden file and keeps nanoseconds', async () => {
  const result = await runViewer(['--json', shop]);
  assert.is(result.code, 0);
  assertGolden('shop.ndjson', normalizeJson(result.stdout));
  const failed = result.stdout
    .split('\n')
    .map((line) => (line === '' ? undefined : JSON.parse(line)))
    .find((record) => record?.severityNumber === 17 && record.scope.name === 'pay');
  assert.is(failed.timeUnixNano, String(at(3000, 456_789)));
  assert.is(failed.time, '2026-03-14T15:09:29.000456789Z');
});

test('files given one by one merge like their directory, and each line says where it came from', async () => {
  const fromFiles = await runViewer(['--utc', cartFile, checkoutFile]);
  const fromDirectory = await runViewer(['--utc', shop]);
  assert.is(fromFiles.stdout, fromDirectory.stdout);
  const sources = fromFiles.stdout
    .trim()
    .split('\n')
    .map((line) => /^\S+ \S+\s+(\S+)/.exec(line)?.[1]);
  assert.equal(
    sources,
    ['checkout', 'checkout', 'cart', 'checkout', 'cart', 'checkout', 'cart', 'checkout', 'checkout', 'cart'].map((name) => `${name}/${process.pid}`),
  );
});

test('local time unless --utc', async () => {
  const result = await runViewer([checkoutFile], { TZ: 'Asia/Kolkata' });
  assert.ok(result.stdout.startsWith('2026-03-14 20:39:26.000 INFO '), result.stdout.split('\n')[0]);
});

test('colors only when asked or on a terminal, and never with NO_COLOR or --no-color', async () => {
  const plain = await runViewer(['--utc', checkoutFile]);
  assert.not.ok(plain.stdout.includes('\x1b['));
  const colored = await runViewer(['--utc', '--color', checkoutFile]);
  assert.ok(colored.stdout.includes('\x1b[31mERROR'), 'ERROR in red');
  assert.ok(colored.stdout.includes('\x1b[35m0af76519\x1b[39m'), 'the trace id in magenta');
  assert.is(uncolored(colored.stdout), plain.stdout, 'the same text around the colors');
  const off = await runViewer(['--utc', '--color', '--no-color', checkoutFile]);
  assert.not.ok(off.stdout.includes('\x1b['));
});

test('--color forces colors into a pipe; the first that says decides: --no-color, --color, NO_COLOR, FORCE_COLOR, a terminal', async () => {
  // Into a pipe (a subprocess's stdout), as `ttlog-view --color … | less -R` is.
  const piped: Array<[string[], Record<string, string>, boolean]> = [
    [[], {}, false],
    [['--color'], {}, true],
    [['--color'], { NO_COLOR: '1' }, true],
    [['--no-color'], { FORCE_COLOR: '1' }, false],
    [['--color', '--no-color'], {}, false],
    [[], { NO_COLOR: '1', FORCE_COLOR: '1' }, false],
    [[], { FORCE_COLOR: '1' }, true],
    [[], { FORCE_COLOR: '0' }, false],
    [[], { FORCE_COLOR: 'false' }, false],
  ];
  for (const [args, env, expected] of piped) {
    const result = await runViewer(['--utc', ...args, checkoutFile], env);
    assert.is(result.stdout.includes('\x1b['), expected, `${args.join(' ')} ${JSON.stringify(env)}`);
  }
  // On a terminal.
  const onTerminal: Array<[string[], Record<string, string>, boolean]> = [
    [[], {}, true],
    [[], { NO_COLOR: '1' }, false],
    [[], { FORCE_COLOR: '0' }, false],
    [['--no-color'], {}, false],
  ];
  for (const [args, env, expected] of onTerminal) {
    let text = '';
    const terminal = Object.assign(
      new Writable({
        write: (chunk: Buffer, _encoding, done) => {
          text += chunk.toString();
          done();
        },
      }),
      { isTTY: true },
    );
    assert.is(await runView(['--utc', ...args, checkoutFile], { stdout: terminal, stderr: new Writable({ write: (_c, _e, done) => done() }), env }), 0);
    assert.is(text.includes('\x1b['), expected, `terminal: ${args.join(' ')} ${JSON.stringify(env)}`);
  }
});

test('trace ids on the lines that have one: the first 8 hex digits, all 32 with --wide, the column blank on the others', async () => {
  const short = await runViewer(['--utc', shop]);
  const lines = short.stdout.trimEnd().split('\n');
  const pid = process.pid;
  assert.ok(lines.includes(`2026-03-14T15:09:28.999Z ERROR  cart/${pid}     4bf92f35 [inventory] inventory lookup failed sku=X1`), short.stdout);
  assert.ok(lines.includes(`2026-03-14T15:09:26.000Z INFO   checkout/${pid}          [http] server started port=8080 tls.enabled=true`), short.stdout);
  assert.is(lines.filter((line) => line.includes(` ${TRACE_ORDER.traceId.slice(0, 8)} [`)).length, 3);

  for (const input of [shop, checkoutFile]) {
    const wide = await runViewer(['--utc', '--wide', input]);
    assert.is(wide.code, 0);
    assert.ok(wide.stdout.includes(`checkout/${pid} ${TRACE_ORDER.traceId} [pay] payment failed`), wide.stdout);
    assert.ok(wide.stdout.includes(`checkout/${pid} ${' '.repeat(32)} [app] worker crashed`), wide.stdout);
    // The direct path of one file and the way through records agree on wide lines too.
    const throughRecords = await runViewer(['--utc', '--wide', '--since', '1970-01-01T00:00:00Z', input]);
    assert.is(wide.stdout, throughRecords.stdout, input);
  }
});

test('--trace-id takes a trace id or its first 8 or more digits, as the lines show it', async () => {
  for (const id of [TRACE_ORDER.traceId, TRACE_ORDER.traceId.slice(0, 8).toUpperCase(), TRACE_ORDER.traceId.slice(0, 12)]) {
    const result = await runViewer(['--utc', '--trace-id', id, shop]);
    assert.is(result.code, 0, id);
    const lines = result.stdout.trimEnd().split('\n');
    assert.is(lines.length, 3, id);
    for (const line of lines) assert.ok(line.includes('order.id=A-17'), line);
  }
  const tooShort = await runViewer(['--trace-id', TRACE_ORDER.traceId.slice(0, 7), shop]);
  assert.is(tooShort.code, 2);
  assert.match(tooShort.stderr, /first 8 or more/);
});

test('columns line up: the level as wide as DEBUG3, service/pid as wide as the widest file, then the trace id column', async () => {
  const aligned = subdirectory('aligned');
  const severities = [...Array.from({ length: 24 }, (_, i) => i + 1), 0];
  const records = severities.map((severityNumber, i) => ({
    at: at(i),
    severityNumber,
    ...(severityNumber === 0 ? { severityText: 'NOTE' } : {}),
    body: `severity ${severityNumber}`,
    scope: 'app',
    ...(i % 3 === 0 ? { trace: TRACE_STOCK } : {}),
  }));
  await writeServiceSnapshot(aligned, { service: 'a', records });
  await writeServiceSnapshot(aligned, { service: 'inventory-service', records: records.slice(0, 3) });
  for (const args of [[], ['--color'], ['--wide']]) {
    const result = await runViewer(['--utc', ...args, aligned]);
    const lines = uncolored(result.stdout).trimEnd().split('\n');
    assert.is(lines.length, 28);
    const scopeAt = new Set(lines.map((line) => line.indexOf(' [app] ')));
    assert.is(scopeAt.size, 1, `${args.join(' ')}:\n${lines.join('\n')}`);
  }
  const result = await runViewer(['--utc', aligned]);
  const pid = process.pid;
  const width = `inventory-service/${pid}`.length;
  assert.ok(result.stdout.includes(`2026-03-14T15:09:26.006Z DEBUG3 ${`a/${pid}`.padEnd(width)} 4bf92f35 [app] severity 7\n`), result.stdout);
  assert.ok(result.stdout.includes(`2026-03-14T15:09:26.007Z DEBUG4 ${`a/${pid}`.padEnd(width)}          [app] severity 8\n`), result.stdout);
  assert.ok(result.stdout.includes(`2026-03-14T15:09:26.024Z NOTE   ${`a/${pid}`.padEnd(width)} 4bf92f35 [app] severity 0\n`), result.stdout);
  assert.ok(result.stdout.includes(`2026-03-14T15:09:26.000Z TRACE  inventory-service/${pid} 4bf92f35 [app] severity 1\n`), result.stdout);
});

test('a damaged file among good ones: exit 1, a warning, and every intact record still shown', async () => {
  const fleet = subdirectory('fleet');
  const bigFile = await writeTicks(fleet);
  await writeServiceSnapshot(fleet, CART);
  const bytes = readFileSync(bigFile);
  const firstChunk = bytes.indexOf(Buffer.from('TTLZ', 'latin1'));
  assert.ok(firstChunk > 0);
  bytes[firstChunk + 40] = bytes[firstChunk + 40]! ^ 0xff;
  writeFileSync(bigFile, bytes);
  writeFileSync(join(fleet, 'ttlog-notes-1-x.bin'), 'not a snapshot at all');

  const result = await runViewer(['--utc', fleet]);
  assert.is(result.code, 1);
  assert.match(result.stderr, /ttlog-view: warning: .*ttlog-clock-.*damaged at byte \d+: .*4096 records lost/);
  assert.match(result.stderr, /ttlog-view: warning: .*ttlog-notes-1-x\.bin: not a ttlog snapshot .*skipped/);
  const lines = result.stdout.trim().split('\n');
  assert.is(lines.filter((line) => line.includes('[clock]')).length, 5000 - 4096);
  assert.ok(lines.some((line) => line.includes('[clock] tick 4096')));
  assert.not.ok(lines.some((line) => line.includes('[clock] tick 4095')));
  assert.is(lines.filter((line) => line.includes(`cart/${process.pid}`)).length, CART.records.length);
});

test('one damaged file alone: text and JSON both show its intact chunk and warn of the lost one', async () => {
  // The viewer writes one file's text straight from its chunks (chunk-text.ts) and reads its
  // records for JSON in slices (merge.ts).
  const path = await writeTicks(subdirectory('alone'));
  const bytes = readFileSync(path);
  bytes[bytes.indexOf(Buffer.from('TTLZ', 'latin1')) + 40]! ^= 0xff;
  writeFileSync(path, bytes);
  for (const format of [[], ['--json']]) {
    const result = await runViewer(['--utc', ...format, path]);
    assert.is(result.code, 1, format.join(' '));
    assert.match(result.stderr, /ttlog-view: warning: .*damaged at byte \d+: .*4096 records lost/, format.join(' '));
    const lines = result.stdout.trim().split('\n');
    assert.is(lines.length, 5000 - 4096, format.join(' '));
    assert.ok(lines[0]!.includes('tick 4096'), format.join(' '));
  }
});

test("a chunk that keeps its checksum but fails to decode midway: none of its lines, the other chunk's all", async () => {
  const path = await writeTicks(subdirectory('midway'));
  const file = readFileSync(path);
  const [first] = splitSnapshot(file).chunks;
  // The first chunk (4096 records) re-encoded with record 3000's time delta made text: its
  // first 3000 lines are already written when the chunk fails.
  const [seconds, nanos, strings, scopes, records] = createCborDecoder().decode(first!.raw) as [number, number, unknown, unknown, unknown[][]];
  records[3000]![1] = 'soon';
  const raw = createCborEncoder().encode([seconds, nanos, strings, scopes, records]);
  writeFileSync(path, replaceChunk(file, 0, encodeBlock(CHUNK_MAGIC, raw.length, records.length, compress(raw))));
  const result = await runViewer(['--utc', path]);
  assert.is(result.code, 1);
  assert.match(result.stderr, /ttlog-view: warning: .*damaged at byte \d+: chunk passed its checksum but did not decode: .*\(4096 records lost\)/);
  const lines = result.stdout.trim().split('\n');
  assert.is(lines.length, 5000 - 4096);
  assert.ok(lines[0]!.endsWith('[clock] tick 4096'), lines[0]);
});

test('a missing path is reported (exit 1) and the others are still shown', async () => {
  const result = await runViewer(['--utc', join(directory, 'nope.bin'), cartFile]);
  assert.is(result.code, 1);
  assert.match(result.stderr, /nope\.bin: no such file or directory/);
  assert.is(result.stdout.trim().split('\n').length, CART.records.length);
});

test('a directory without snapshots is reported', async () => {
  const empty = join(directory, 'empty');
  mkdirSync(empty);
  const result = await runViewer([empty]);
  assert.is(result.code, 1);
  assert.match(result.stderr, /no snapshot files/);
  assert.is(result.stdout, '');
});

test('usage errors exit 2 with a hint', async () => {
  for (const args of [
    ['--bogus', shop],
    ['--level', 'loud', shop],
    ['--last', '0', shop],
    ['--grep', '(', shop],
    ['--since', 'yesterday', shop],
    ['--json', '--otlp', shop],
    ['--trace-id', 'xyz', shop],
    ['--window', '5 minutes', '--around', 'first-error', shop],
  ]) {
    const result = await runViewer(args, { TTLOG_SNAPSHOT_DIR: '' });
    assert.is(result.code, 2, args.join(' '));
    assert.match(result.stderr, /Try 'ttlog-view --help'/);
    assert.is(result.stdout, '');
  }
});

test('--interactive without a terminal is a usage error', async () => {
  const result = await runViewer(['-i', shop]);
  assert.is(result.code, 2);
  assert.match(result.stderr, /needs a terminal/);
});

test('without a path: TTLOG_SNAPSHOT_DIR, else the ttlog-*.bin files of the OS temp directory, and stderr says which', async () => {
  const result = await runViewer(['--utc'], { TTLOG_SNAPSHOT_DIR: shop });
  assert.is(result.code, 0);
  assert.is(result.stdout.trim().split('\n').length, CHECKOUT.records.length + CART.records.length);
  assert.is(result.stderr, `ttlog-view: no PATH given, reading ${shop} (TTLOG_SNAPSHOT_DIR)\n`);

  // The temp directory, as the exporter's default, through TMPDIR (which os.tmpdir() reads); other programs' files there are left alone.
  const temp = subdirectory('temp');
  copyFileSync(checkoutFile, join(temp, basename(checkoutFile)));
  writeFileSync(join(temp, 'other-program.bin'), 'not a snapshot');
  writeFileSync(join(temp, 'ttlog-notes.txt'), 'not a snapshot');
  const fromTemp = await runViewer(['--utc'], { TTLOG_SNAPSHOT_DIR: '', TMPDIR: temp });
  assert.is(fromTemp.stderr, `ttlog-view: no PATH given, reading ttlog-*.bin in ${temp} (the OS temp directory; TTLOG_SNAPSHOT_DIR is not set)\n`);
  assert.is(fromTemp.code, 0);
  assert.is(fromTemp.stdout, (await runViewer(['--utc', checkoutFile])).stdout);

  const empty = subdirectory('empty-temp');
  writeFileSync(join(empty, 'other-program.bin'), 'not a snapshot');
  const none = await runViewer(['--utc'], { TTLOG_SNAPSHOT_DIR: '', TMPDIR: empty });
  assert.is(none.code, 1);
  assert.is(none.stdout, '');
  assert.match(
    none.stderr,
    /^ttlog-view: no PATH given, reading ttlog-\*\.bin in .*\nttlog-view: warning: .*: no snapshot files \(ttlog-\*\.bin\) in this directory\n$/,
  );
});

test('--help and --version', async () => {
  const help = await runViewer(['--help']);
  assert.is(help.code, 0);
  assert.match(help.stdout, /^Usage: ttlog-view \[options\] \[PATH\.\.\.\]/);
  // Reasons as snapshot headers carry them.
  assert.ok(help.stdout.includes('uncaught-exception'));
  assert.not.ok(help.stdout.includes('uncaughtException'));
  for (const option of [
    '--wide',
    '--color',
    '--no-color',
    '--json',
    '--otlp',
    '--stats',
    '--html',
    '--interactive',
    '--level',
    '--since',
    '--until',
    '--grep',
    '--where',
    '--trace-id',
    '--service',
    '--scope',
    '--last',
    '--around',
    '--window',
  ]) {
    assert.ok(help.stdout.includes(option), option);
  }
  const version = await runViewer(['--version']);
  assert.is(version.stdout, `ttlog-view ${VERSION}\n`);
});

test('piped into head: no EPIPE noise, exit 0', async () => {
  // ~300 KB of text, several times a pipe's buffer, so the writer does meet the closed pipe.
  const clock = subdirectory('clock');
  await writeTicks(clock);
  const script = `"${process.execPath}" --import tsx packages/ttlog-view/src/bin.ts --utc "${clock}" | head -n 2; echo "status \${PIPESTATUS[0]}" >&2`;
  const result = spawnSync('bash', ['-c', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(result.stdout.trim().split('\n'), [
    `2026-03-14T15:09:26.000Z INFO   clock/${process.pid}          [clock] tick 0`,
    `2026-03-14T15:09:26.001Z INFO   clock/${process.pid}          [clock] tick 1`,
  ]);
  assert.is(result.stderr, 'status 0\n');
});

test("a progress line on a terminal's stderr once reading takes more than a second, cleared at the end", async () => {
  const slow = subdirectory('slow');
  await writeTicks(slow, 3000);
  // An output whose first write takes 1.3 s makes the run take that long on any machine.
  for (const format of [[], ['--json']]) {
    let stderr = '';
    let writes = 0;
    const stdout = new Writable({ write: (_chunk, _encoding, done) => void setTimeout(done, writes++ === 0 ? 1300 : 0) });
    const terminal = Object.assign(
      new Writable({
        write: (chunk: Buffer, _encoding, done) => {
          stderr += chunk.toString();
          done();
        },
      }),
      { isTTY: true },
    );
    const code = await runView([...format, slow], { stdout, stderr: terminal, env: {} });
    assert.is(code, 0, format.join(' '));
    // The count is of records read so far: the output's back-pressure may hold reading back.
    assert.ok(/^(\rttlog-view: reading… [1-9][\d,]* records)+\r\x1b\[K$/.test(stderr), JSON.stringify(stderr));
  }
  // Not on a terminal, and not while the records go to the same terminal.
  for (const [stdoutIsTerminal, stderrIsTerminal] of [
    [false, false],
    [true, true],
  ] as const) {
    let stderr = '';
    let writes = 0;
    const stdout = Object.assign(new Writable({ write: (_chunk, _encoding, done) => void setTimeout(done, writes++ === 0 ? 1300 : 0) }), {
      isTTY: stdoutIsTerminal,
    });
    const quiet = Object.assign(
      new Writable({
        write: (chunk: Buffer, _encoding, done) => {
          stderr += chunk.toString();
          done();
        },
      }),
      {
        isTTY: stderrIsTerminal,
      },
    );
    assert.is(await runView([slow], { stdout, stderr: quiet, env: { NO_COLOR: '1' } }), 0);
    assert.is(stderr, '', `stdout ${stdoutIsTerminal ? 'a' : 'no'} terminal, stderr ${stderrIsTerminal ? 'a' : 'no'} terminal`);
  }
});

if (existsSync('/dev/full')) {
  test('a full disk behind stdout is an error: exit 1 and the reason on stderr', () => {
    for (const args of [
      ['--utc', shop],
      ['--utc', checkoutFile],
      ['--stats', shop],
      ['--otlp', shop],
    ]) {
      const full = openSync('/dev/full', 'w');
      try {
        const result = spawnSync(process.execPath, ['--import', 'tsx', 'packages/ttlog-view/src/bin.ts', ...args], {
          cwd: ROOT,
          encoding: 'utf8',
          stdio: ['ignore', full, 'pipe'],
          env: { ...process.env, NO_COLOR: '1' },
        });
        assert.is(result.status, 1, args.join(' '));
        assert.match(result.stderr, /^ttlog-view: ENOSPC: no space left on device/m, args.join(' '));
      } finally {
        closeSync(full);
      }
    }
  });
}

test.after(() => rmSync(directory, { recursive: true, force: true }));

test.run();
