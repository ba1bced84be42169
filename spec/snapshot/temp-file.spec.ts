/**
 * Temp files left behind: a process killed in the middle of a snapshot leaves its temp file
 * (log data nobody will read), and the next exporter to write in that directory removes it — but
 * only when the writer is certainly gone. A live writer's temp file (another process, stopped
 * mid-write in fixtures/stuck-writer.ts) stays through new exporters and retention passes; a pid
 * now held by a process started at another time counts as gone; writers this process cannot look
 * up (another pid namespace or boot) count as gone only after a day without a write.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SnapshotExporter, TTLogProcessor } from '../../src/index.ts';
import { currentProcess, UNKNOWN_SPACE } from '../../src/snapshot/process-identity.ts';
import { ORPHAN_AGE_MS, tempFileName, tempFileOwner } from '../../src/snapshot/temp-file.ts';
import { skipTest } from '../support/skip.ts';

const STUCK_WRITER = fileURLToPath(new URL('./fixtures/stuck-writer.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** A child that has not started writing after this long is stuck elsewhere; the test fails instead of hanging. */
const START_TIMEOUT_MS = 45_000;
const HOUR = 3600_000;

const root = mkdtempSync(join(tmpdir(), 'ttlog-'));
let dirCount = 0;

function freshDir(): string {
  return mkdtempSync(join(root, `d${dirCount++}-`));
}

function tempFiles(directory: string): string[] {
  return readdirSync(directory).filter((name) => name.startsWith('.ttlog-') && name.endsWith('.tmp'));
}

/** Starts fixtures/stuck-writer.ts; resolves once its temp file holds the first block of its snapshot. */
function startStuckWriter(directory: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', STUCK_WRITER, directory], { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the stuck writer did not start writing: ${stderr}`));
    }, START_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      if (!chunk.toString().includes('writing')) return;
      clearTimeout(timer);
      resolve(child);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('close', () => resolve());
    child.kill('SIGKILL');
  });
}

/** A snapshot through an exporter made now, as the next process to start would make it. */
async function snapshotWithNewExporter(directory: string, retention?: { maxFiles: number }): Promise<string> {
  const exporter = new SnapshotExporter(retention === undefined ? { directory } : { directory, retention });
  return new TTLogProcessor({ exporter, capacity: 8 }).snapshot('next');
}

const canLookUp = currentProcess().space !== UNKNOWN_SPACE;

if (canLookUp) {
  test('a writer killed mid-write: its temp file, with data, is removed by the next exporter', async () => {
    const directory = freshDir();
    const child = await startStuckWriter(directory);
    const [temp, ...others] = tempFiles(directory);
    assert.equal(others, []);
    assert.is(tempFileOwner(temp!)?.pid, child.pid, temp);
    assert.ok(statSync(join(directory, temp!)).size > 0, 'the temp file holds part of a snapshot');
    await kill(child);
    assert.ok(existsSync(join(directory, temp!)), 'nothing removes it before the next exporter writes');

    const path = await snapshotWithNewExporter(directory);
    assert.equal(readdirSync(directory), [basename(path)]);
  });

  test("a live writer's temp file stays through new exporters and retention passes, and goes once the writer is killed", async () => {
    const directory = freshDir();
    const child = await startStuckWriter(directory);
    const [temp] = tempFiles(directory);
    try {
      await snapshotWithNewExporter(directory);
      const exporter = new SnapshotExporter({ directory, retention: { maxFiles: 1 } });
      const processor = new TTLogProcessor({ exporter, capacity: 8 });
      for (let i = 0; i < 3; i++) await processor.snapshot('again');
      assert.equal(tempFiles(directory), [temp], 'the live writer keeps its temp file');
      await kill(child);
      await processor.snapshot('again');
      assert.equal(tempFiles(directory), [], 'retention removes it once its writer is gone');
    } finally {
      if (child.exitCode === null && child.signalCode === null) await kill(child);
    }
  });
} else {
  skipTest(test, 'temp files of killed and live writers', 'needs /proc to look writers up');
}

test('writers that cannot be looked up count as gone after a day untouched; a reused pid counts as gone; other names stay', async () => {
  const directory = freshDir();
  const plant = (name: string, ageMs: number) => {
    const path = join(directory, name);
    writeFileSync(path, 'part of a snapshot');
    const time = new Date(Date.now() - ageMs);
    utimesSync(path, time, time);
    return name;
  };
  const self = currentProcess();
  const otherSpace = self.space === '000000000000' ? '111111111111' : '000000000000';
  const random = () => tempFileName().slice(-20, -4);
  const expected = {
    kept: [
      plant(`.ttlog-${otherSpace}-${self.pid}-${self.start}-${random()}.tmp`, ORPHAN_AGE_MS - HOUR),
      plant(`.ttlog-${UNKNOWN_SPACE}-4242-0-${random()}.tmp`, HOUR),
      // This process's own temp file, old as it may be: a write of its own may still be under way.
      plant(tempFileName(), 10 * ORPHAN_AGE_MS),
      plant('.ttlog-0123456789abcdef.tmp', 10 * ORPHAN_AGE_MS),
      plant('.ttlog-notmine.tmp', 10 * ORPHAN_AGE_MS),
      plant(`.ttlog-${otherSpace}-0-1-${random()}.tmp`, 10 * ORPHAN_AGE_MS),
      plant('notes.tmp', 10 * ORPHAN_AGE_MS),
    ],
    removed: [
      plant(`.ttlog-${otherSpace}-${self.pid}-${self.start}-${random()}.tmp`, ORPHAN_AGE_MS + HOUR),
      plant(`.ttlog-${UNKNOWN_SPACE}-4242-0-${random()}.tmp`, 2 * ORPHAN_AGE_MS),
    ],
  };
  if (canLookUp) {
    // The pid of a live process (this one) but another start time: the writer that had the pid is gone.
    expected.removed.push(plant(`.ttlog-${self.space}-${self.pid}-${BigInt(self.start) + 1n}-${random()}.tmp`, 0));
  }
  const path = await snapshotWithNewExporter(directory);
  assert.equal(readdirSync(directory).sort(), [...expected.kept, basename(path)].sort());
});

test('temp names carry this process: pid, pid space and start time, read back as written', () => {
  const name = tempFileName();
  const self = currentProcess();
  assert.match(name, /^\.ttlog-([0-9a-f]{12}|unknown)-\d+-\d+-[0-9a-f]{16}\.tmp$/);
  assert.equal(tempFileOwner(name), { space: self.space, pid: process.pid, start: self.start });
  assert.is.not(tempFileName(), name);
  for (const other of ['.ttlog-0123456789abcdef.tmp', `.ttlog-${self.space}-0-1-0123456789abcdef.tmp`, `.ttlog-${self.space}-01-1-0123456789abcdef.tmp`]) {
    assert.is(tempFileOwner(other), undefined, other);
  }
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
