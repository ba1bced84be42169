/**
 * Crash snapshots follow on the next start: a service that dies (fixtures/service-child.ts) and
 * is started again with the same snapshot directory sends the crash file's records to the OTLP
 * receiver once, however often it restarts; a start killed mid-way leaves the file to be retried.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readSnapshot } from '../../src/index.ts';
import { OtlpReceiver } from './otlp-receiver.ts';

const CHILD = new URL('./fixtures/service-child.ts', import.meta.url).pathname;
const cleanup: (() => unknown)[] = [];

interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function startChild(args: readonly string[]): { child: ChildProcess; done: Promise<ChildResult> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (part: Buffer) => {
    stdout += part;
  });
  child.stderr!.on('data', (part: Buffer) => {
    stderr += part;
  });
  const done = new Promise<ChildResult>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

function service(scenario: string, directory: string, url: string, expectedFiles = 0): Promise<ChildResult> {
  return startChild([scenario, directory, url, String(expectedFiles)]).done;
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

  const second = await service('start', directory, receiver.url, 1);
  assert.is(second.code, 0, second.stderr);
  assert.equal(JSON.parse(second.stdout), { exported: 20, failed: 0, recoveredFiles: 1, failedFiles: 0 });
  assert.equal(bodies(receiver), [...range('a', 10), ...range('b', 20)]);
  const recovered = receiver.records().slice(10);
  assert.ok(recovered.every((record) => record.resource['service.name'] === 'checkout' && record.scope.name === 'service' && record.scope.version === '1.0.0'));
  assert.is(recovered[0]!.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');

  const third = await service('start', directory, receiver.url);
  assert.equal(JSON.parse(third.stdout), { exported: 0, failed: 0, recoveredFiles: 0, failedFiles: 0 });
  assert.is(receiver.records().length, 30, 'nothing more');
  const snapshot = await readSnapshot(join(directory, crashFile!));
  assert.is(snapshot.records.length, 30, 'the file itself is unchanged, for the viewer');
});

test('a start killed mid-recovery, and one whose export fails, leave the file to be retried', async () => {
  const { directory, receiver } = await setup();
  await service('crash', directory, receiver.url);
  receiver.requests.length = 0;

  receiver.behaviour = { fail: true };
  const failing = await service('start', directory, receiver.url, 1);
  assert.equal(JSON.parse(failing.stdout), { exported: 0, failed: 0, recoveredFiles: 0, failedFiles: 1 });

  receiver.behaviour = { delayMs: 1500 };
  const killed = startChild(['start', directory, receiver.url, '1']);
  // Killed while its first recovery export waits for the receiver's answer.
  await Promise.race([receiver.arrival(receiver.arrived + 1), killed.done]);
  killed.child.kill('SIGKILL');
  await killed.done;
  await new Promise((resolve) => setTimeout(resolve, 1600));
  receiver.requests.length = 0;

  receiver.behaviour = {};
  const retried = await service('start', directory, receiver.url, 1);
  assert.equal(JSON.parse(retried.stdout), { exported: 20, failed: 0, recoveredFiles: 1, failedFiles: 0 });
  assert.equal(bodies(receiver), range('b', 20));
  const last = await service('start', directory, receiver.url);
  assert.equal(JSON.parse(last.stdout).exported, 0);
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
  const next = await service('start', directory, receiver.url, 1);
  assert.equal(JSON.parse(next.stdout), { exported: 0, failed: 0, recoveredFiles: 1, failedFiles: 0 });
  assert.is(receiver.records().length, 10);
});

test.after(async () => {
  for (const step of cleanup.reverse()) await step();
});

test.run();
