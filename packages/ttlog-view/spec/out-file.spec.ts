/**
 * `--otlp --out FILE`: files the Collector's otlpjsonfile receiver can pick up: the same lines as
 * stdout, gzip-compressed for `.jsonl.gz`, mode 0600, there whole or not at all, and never with
 * the first bytes of another snapshot's file (the receiver's fingerprint).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OutFile } from '../src/out-file.ts';
import { at, CART, CHECKOUT, runViewer, writeServiceSnapshot } from './support/snapshots.ts';

const directory = mkdtempSync(join(tmpdir(), 'ttlog-'));
const shop = join(directory, 'shop');
mkdirSync(shop);
await writeServiceSnapshot(shop, CHECKOUT);
await writeServiceSnapshot(shop, CART);
const stdoutLines = (await runViewer(['--otlp', shop])).stdout;
/** The receiver's default `fingerprint_size` (1kb: 1000 bytes). */
const FINGERPRINT_BYTES = 1000;
const isWindows = process.platform === 'win32';

function outDirectory(name: string): string {
  const path = join(directory, name);
  mkdirSync(path);
  return path;
}

test('--out x.jsonl.gz holds, compressed, exactly what --otlp writes to stdout; --out x.jsonl the same, plain; nothing else is left', async () => {
  const out = outDirectory('out');
  for (const name of ['x.jsonl.gz', 'x.jsonl']) {
    const result = await runViewer(['--otlp', '--out', join(out, name), shop]);
    assert.is(result.code, 0, result.stderr);
    assert.is(result.stdout, '');
    assert.is(result.stderr, '');
  }
  const compressed = readFileSync(join(out, 'x.jsonl.gz'));
  assert.equal([...compressed.subarray(0, 2)], [0x1f, 0x8b], 'a gzip file');
  assert.is(gunzipSync(compressed).toString('utf8'), stdoutLines);
  assert.is(readFileSync(join(out, 'x.jsonl'), 'utf8'), stdoutLines);
  assert.ok(stdoutLines.split('\n').length > 1);
  // No temp file stays beside them.
  assert.equal(readdirSync(out).sort(), ['x.jsonl', 'x.jsonl.gz']);
  if (!isWindows) for (const name of ['x.jsonl', 'x.jsonl.gz']) assert.is(statSync(join(out, name)).mode & 0o777, 0o600, name);
});

test('--out replaces an existing file whole, and the new file is 0600 whatever the old one was', async () => {
  const out = outDirectory('replace');
  const path = join(out, 'x.jsonl');
  writeFileSync(path, 'old content\n', { mode: 0o644 });
  const result = await runViewer(['--otlp', '--out', path, shop]);
  assert.is(result.code, 0, result.stderr);
  assert.is(readFileSync(path, 'utf8'), stdoutLines);
  if (!isWindows) assert.is(statSync(path).mode & 0o777, 0o600);
  assert.equal(readdirSync(out), ['x.jsonl']);
});

test('an --out directory that cannot be written: exit 1, the reason on stderr, and no file at all', async () => {
  const out = outDirectory('unwritable');
  const notADirectory = join(out, 'plain-file');
  writeFileSync(notADirectory, '');
  const cases: Array<[string, RegExp]> = [
    [join(out, 'missing', 'x.jsonl'), /^ttlog-view: --out .*missing.x\.jsonl: no such file or directory$/m],
    [join(notADirectory, 'x.jsonl.gz'), /^ttlog-view: --out .*plain-file.x\.jsonl\.gz: not a directory$/m],
  ];
  // A directory without write permission stops everyone but root.
  const readOnly = join(out, 'read-only');
  mkdirSync(readOnly, { mode: 0o555 });
  if (!isWindows && process.getuid?.() !== 0) cases.push([join(readOnly, 'x.jsonl'), /^ttlog-view: --out .*read-only.x\.jsonl: permission denied$/m]);
  for (const [path, message] of cases) {
    const result = await runViewer(['--otlp', '--out', path, shop]);
    assert.is(result.code, 1, path);
    assert.match(result.stderr, message);
    assert.is(result.stdout, '');
  }
  assert.equal(readdirSync(out).sort(), ['plain-file', 'read-only']);
  assert.equal(readdirSync(readOnly), []);
});

test('a file discarded part-way leaves nothing behind, and the name it was for is untouched', async () => {
  const out = outDirectory('discard');
  const path = join(out, 'x.jsonl.gz');
  writeFileSync(path, 'the earlier file');
  const file = await OutFile.create(path);
  await new Promise<void>((resolve, reject) => file.stream.write('{"resourceLogs":[]}\n'.repeat(1000), (error) => (error ? reject(error) : resolve())));
  assert.is(readdirSync(out).length, 2, 'the temp file beside it while writing');
  await file.discard();
  assert.equal(readdirSync(out), ['x.jsonl.gz']);
  assert.is(readFileSync(path, 'utf8'), 'the earlier file');
});

test('--out takes .jsonl and .jsonl.gz names only, and only with --otlp: usage errors (exit 2)', async () => {
  const out = outDirectory('usage');
  for (const args of [
    ['--otlp', '--out', join(out, 'x.json')],
    ['--otlp', '--out', join(out, 'x.gz')],
    ['--otlp', '--out', join(out, 'x.jsonl.zip')],
    ['--out', join(out, 'x.jsonl')],
    ['--json', '--out', join(out, 'x.jsonl')],
  ]) {
    const result = await runViewer([...args, shop]);
    assert.is(result.code, 2, args.join(' '));
    assert.match(result.stderr, /^ttlog-view: --out .*\nTry 'ttlog-view --help'/);
    assert.is(result.stdout, '');
  }
  assert.equal(readdirSync(out), []);
});

test("two snapshots' files differ in their first 1000 bytes (the receiver's fingerprint), even for one service with the same records", async () => {
  // A resource larger than the fingerprint, as a Kubernetes pod's is, the same for both: without
  // the snapshot's own attributes first, both files would start with the same 1000 bytes.
  const resource = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k8s.label.${i}`, `value-${i}-${'v'.repeat(60)}`]));
  const spec = { service: 'orders', resource, records: [{ at: at(0), severityNumber: 17, body: 'payment failed' }] };
  const outputs: Array<{ plain: Buffer; compressed: Buffer }> = [];
  for (const name of ['first', 'second']) {
    // Directories of their own: written in the same millisecond, the two files may even have the same name.
    const snapshots = outDirectory(`fingerprint-${name}`);
    await writeServiceSnapshot(snapshots, spec);
    for (const out of ['x.jsonl', 'x.jsonl.gz']) assert.is((await runViewer(['--otlp', '--out', join(snapshots, out), snapshots])).code, 0);
    outputs.push({ plain: readFileSync(join(snapshots, 'x.jsonl')), compressed: readFileSync(join(snapshots, 'x.jsonl.gz')) });
  }
  const [first, second] = outputs as [(typeof outputs)[0], (typeof outputs)[0]];
  assert.ok(first.plain.length > FINGERPRINT_BYTES);
  assert.not.equal(first.plain.subarray(0, FINGERPRINT_BYTES), second.plain.subarray(0, FINGERPRINT_BYTES));
  // With `compression: gzip` the receiver fingerprints the decompressed bytes (older versions the file's own).
  assert.not.equal(gunzipSync(first.compressed).subarray(0, FINGERPRINT_BYTES), gunzipSync(second.compressed).subarray(0, FINGERPRINT_BYTES));
  assert.not.equal(first.compressed.subarray(0, FINGERPRINT_BYTES), second.compressed.subarray(0, FINGERPRINT_BYTES));
  // What differs is the snapshot's identity, which leads the resource.
  const identity = /\{"key":"ttlog\.snapshot\.(ring|file)","value":\{"stringValue":"[^"]*"\}\}/g;
  assert.is(first.plain.toString('utf8').replace(identity, ''), second.plain.toString('utf8').replace(identity, ''));
  assert.ok(first.plain.indexOf('ttlog.snapshot.ring') < 100);
});

test.after(() => rmSync(directory, { recursive: true, force: true }));

test.run();
