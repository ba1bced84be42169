/**
 * Crash snapshots follow on the next start: a service that dies (fixtures/service-child.ts) and
 * is started again with the same snapshot directory sends the crash file's records to the OTLP
 * receiver once, however often it restarts; a start killed mid-way leaves the file to be retried;
 * a damaged file sends its intact records; a clean exit's snapshot stays local; markers whose
 * snapshot is gone are removed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BLOCK_HEADER_BYTES } from '../../src/format/file-format.ts';
import { readSnapshot } from '../../src/index.ts';
import { splitSnapshot } from '../support/snapshot-chunks.ts';
import { OtlpReceiver } from './otlp-receiver.ts';

const CHILD = new URL('./fixtures/service-child.ts', import.meta.url).pathname;
/** A child still running after this long is stuck: it is killed, and its test fails with its output, instead of the file hanging. */
const CHILD_LIMIT_MS = 120_000;
const cleanup: (() => unknown)[] = [];

interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function startChild(args: readonly string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<ChildResult> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (part: Buffer) => {
    stdout += part;
  });
  child.stderr!.on('data', (part: Buffer) => {
    stderr += part;
  });
  const limit = setTimeout(() => {
    stderr += `\n(killed: still running after ${CHILD_LIMIT_MS} ms)`;
    child.kill('SIGKILL');
  }, CHILD_LIMIT_MS);
  // 'close', not 'exit': only then has all of the child's output been read.
  const done = new Promise<ChildResult>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(limit);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return { child, done };
}

function service(scenario: string, directory: string, url: string, count?: number, env: Record<string, string> = {}): Promise<ChildResult> {
  return startChild([scenario, directory, url, ...(count === undefined ? [] : [String(count)])], env).done;
}

/** The hand-off stats a `start` child printed once its recovery was over. */
async function restart(directory: string, url: string, env: Record<string, string> = {}): Promise<Record<string, number>> {
  const started = await service('start', directory, url, undefined, env);
  assert.is(started.code, 0, started.stderr);
  return JSON.parse(started.stdout);
}

async function setup(): Promise<{ directory: string; receiver: OtlpReceiver }> {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-recovery-'));
  const receiver = await OtlpReceiver.start();
  cleanup.push(
    () => rmSync(directory, { recursive: true, force: true }),
    () => receiver.close(),
  );
  return { directory, receiver };
}

const namesEnding = (directory: string, suffix: string) => readdirSync(directory).filter((name) => name.endsWith(suffix));
const marker = (path: string) => JSON.parse(readFileSync(`${path}.handoff`, 'utf8')) as { done: boolean; lanes?: { below: number; above: number[] }[] };
const bodies = (receiver: OtlpReceiver) => receiver.records().map((record) => record.body);
const range = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix} ${i}`);

test('a crash file arrives once on the next start, without what was handed off live; a third start sends nothing', async () => {
  const { directory, receiver } = await setup();
  const crashed = await service('crash', directory, receiver.url);
  assert.is(crashed.code, 1, 'the process dies of its exception as before');
  assert.match(crashed.stderr, /the service crashed/);
  assert.equal(bodies(receiver), range('a', 10), 'trace A handed off live');
  const [crashFile] = readdirSync(directory).filter((name) => name.endsWith('-uncaught_exception.bin'));
  assert.ok(crashFile, `a crash snapshot among ${readdirSync(directory).join(', ')}`);
  assert.ok(existsSync(join(directory, `${crashFile}.handoff`)), 'marked at the crash with what was delivered');

  assert.equal(await restart(directory, receiver.url), { exported: 20, failed: 0, recoveredFiles: 1, failedFiles: 0 });
  assert.equal(bodies(receiver), [...range('a', 10), ...range('b', 20)]);
  const recovered = receiver.records().slice(10);
  assert.ok(recovered.every((record) => record.resource['service.name'] === 'checkout' && record.scope.name === 'service' && record.scope.version === '1.0.0'));
  assert.is(recovered[0]!.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');

  assert.equal(await restart(directory, receiver.url), { exported: 0, failed: 0, recoveredFiles: 0, failedFiles: 0 });
  assert.is(receiver.records().length, 30, 'nothing more');
  const snapshot = await readSnapshot(join(directory, crashFile!));
  assert.is(snapshot.records.length, 30, 'the file itself is unchanged, for the viewer');
});

test('a start killed mid-recovery, and one whose export fails, leave the file to be retried', async () => {
  const { directory, receiver } = await setup();
  await service('crash', directory, receiver.url);
  receiver.requests.length = 0;

  receiver.behaviour = { fail: true };
  assert.equal(await restart(directory, receiver.url), { exported: 0, failed: 0, recoveredFiles: 0, failedFiles: 1 });

  receiver.behaviour = { delayMs: 1500 };
  const killed = startChild(['start', directory, receiver.url]);
  // Killed while its first recovery export waits for the receiver's answer.
  await Promise.race([receiver.arrival(receiver.arrived + 1), killed.done]);
  killed.child.kill('SIGKILL');
  const ended = await killed.done;
  assert.is(ended.signal, 'SIGKILL', `killed mid-recovery, not ended on its own: ${ended.stdout}${ended.stderr}`);
  // The receiver still answers the killed start's request (to nobody): what it kept is not this test's.
  await receiver.idle();
  receiver.requests.length = 0;

  receiver.behaviour = {};
  assert.equal(await restart(directory, receiver.url), { exported: 20, failed: 0, recoveredFiles: 1, failedFiles: 0 });
  assert.equal(bodies(receiver), range('b', 20));
  assert.is((await restart(directory, receiver.url)).exported, 0);
  assert.is(receiver.records().length, 20);
});

test('SIGTERM: everything new is handed off before the process ends by the signal; the next start sends nothing again', async () => {
  const { directory, receiver } = await setup();
  const running = startChild(['sigterm', directory, receiver.url]);
  await Promise.race([
    new Promise<void>((resolve) => running.child.stdout!.on('data', (part: Buffer) => String(part).includes('ready') && resolve())),
    running.done,
  ]);
  running.child.kill('SIGTERM');
  const ended = await running.done;
  assert.is(ended.signal, 'SIGTERM', 'the exit status is the signal, as without ttlog');
  assert.equal(bodies(receiver), range('before SIGTERM', 10));
  assert.equal(await restart(directory, receiver.url), { exported: 0, failed: 0, recoveredFiles: 1, failedFiles: 0 });
  assert.is(receiver.records().length, 10);
});

test('a damaged crash file hands off its intact records, counts the lost ones, and is done', async () => {
  const { directory, receiver } = await setup();
  const crashed = await service('crash-many', directory, receiver.url, 5000);
  assert.is(crashed.code, 1, crashed.stderr);
  const [name] = namesEnding(directory, '-uncaught_exception.bin');
  const path = join(directory, name!);
  const file = readFileSync(path);
  const { chunks } = splitSnapshot(file);
  assert.equal(
    chunks.map((chunk) => chunk.records.length),
    [4096, 904],
    'two chunks',
  );
  // One byte of the first chunk's compressed payload: its checksum no longer matches.
  const at = chunks[0]!.block.byteOffset - file.byteOffset + BLOCK_HEADER_BYTES + 100;
  file[at] = file[at]! ^ 0xff;
  writeFileSync(path, file);

  const batches = { HANDOFF_BATCH_SIZE: '1000' };
  assert.equal(await restart(directory, receiver.url, batches), { exported: 904, failed: 4096, recoveredFiles: 1, failedFiles: 0 });
  assert.equal(bodies(receiver), range('c', 5000).slice(4096));
  assert.is(marker(path).done, true, 'not tried again: the damaged chunk will never read');
  assert.equal(await restart(directory, receiver.url, batches), { exported: 0, failed: 0, recoveredFiles: 0, failedFiles: 0 });
  assert.is(receiver.records().length, 904);
});

test('the exit snapshot of a clean exit (code 0) stays local; one of a non-zero exit is handed off', async () => {
  const { directory, receiver } = await setup();
  assert.is((await service('exit', directory, receiver.url, 0)).code, 0);
  const [clean] = namesEnding(directory, '-exit.bin');
  assert.ok(clean, 'the clean exit wrote its exit snapshot');
  assert.is((await service('exit', directory, receiver.url, 3)).code, 3);
  assert.is(namesEnding(directory, '-exit.bin').length, 2);

  assert.equal(await restart(directory, receiver.url), { exported: 5, failed: 0, recoveredFiles: 1, failedFiles: 0 });
  assert.equal(bodies(receiver), range('exit 3', 5));
  assert.is(marker(join(directory, clean!)).done, true, 'the clean exit is settled for good');
  assert.equal(await restart(directory, receiver.url), { exported: 0, failed: 0, recoveredFiles: 0, failedFiles: 0 });
  assert.is(receiver.records().length, 5);
});

test('a marker whose snapshot file was removed (by retention) is removed by the next start; others stay', async () => {
  const { directory, receiver } = await setup();
  await service('crash', directory, receiver.url);
  await service('crash', directory, receiver.url);
  const crashFiles = namesEnding(directory, '-uncaught_exception.bin');
  assert.is(crashFiles.length, 2);
  await restart(directory, receiver.url);
  // (The second crashed service may have handed off the first one's file before it crashed.)
  assert.ok(crashFiles.every((name) => marker(join(directory, name)).done));
  const [removed, kept] = crashFiles as [string, string];
  unlinkSync(join(directory, removed));
  assert.ok(existsSync(join(directory, `${removed}.handoff`)));

  assert.equal(await restart(directory, receiver.url), { exported: 0, failed: 0, recoveredFiles: 0, failedFiles: 0 });
  assert.not.ok(existsSync(join(directory, `${removed}.handoff`)), 'the orphaned marker is gone');
  assert.is(marker(join(directory, kept)).done, true, 'the marker of a file still there stays');
});

test('after many trace hand-offs, the crash marker holds at most a ring of tickets, and the next start sends exactly the rest', async () => {
  const { directory, receiver } = await setup();
  const env = { RING_CAPACITY: '1024', HANDOFF_BATCH_SIZE: '512' };
  const crashed = await service('handoff-cycles', directory, receiver.url, 30, env);
  assert.is(crashed.code, 1, crashed.stderr);
  assert.is(receiver.records().length, 3000, '30 traces of 100 handed off live');
  const [name] = namesEnding(directory, '-uncaught_exception.bin');
  const lanes = marker(join(directory, name!)).lanes!;
  assert.ok(
    lanes.every((lane) => lane.above.length <= 1024),
    `tickets kept: ${lanes.map((lane) => lane.above.length).join(', ')}`,
  );

  assert.equal(await restart(directory, receiver.url, env), { exported: 824, failed: 0, recoveredFiles: 1, failedFiles: 0 });
  assert.equal(bodies(receiver).slice(3000), [...range('local 28', 412), ...range('local 29', 412)]);
});

test.after(async () => {
  for (const step of cleanup.reverse()) await step();
});

test.run();
