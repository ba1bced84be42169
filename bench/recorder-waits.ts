/**
 * `npm run bench:recorder-waits`: where the main thread's event-loop delay comes from while the
 * recorder thread snapshots a 1,048,576-record ring and the main thread does nothing but await
 * the snapshots (the last column of `npm run bench:recorder`).
 *
 * `monitorEventLoopDelay` says how late the loop ran, not why. This run is recorded with the
 * kernel's scheduler trace (`perf sched`, Linux only), and each time the main thread was ready to
 * run but waited more than 2 ms for a CPU while snapshots were written is laid against what the
 * CPUs ran meanwhile: the recorder thread, the process's other threads (V8's garbage-collector
 * and compiler helpers, libuv's pool), other processes, or nothing — a virtual CPU the hypervisor
 * had not yet woken. A delay made of the last two is the machine's, not ttlog's.
 *
 * The same script is the recorded child (`--child FILE`): it fills the ring, writes the snapshots
 * and writes its figures and the snapshots' window (CLOCK_MONOTONIC, the clock perf is told to
 * use) to FILE.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const RECORDS = 1_048_576;
const SNAPSHOTS = 4;
/** Waits shorter than this are a scheduler's ordinary slice, not a stall. */
const LONG_WAIT_MS = 2;

interface ChildFigures {
  /** The snapshots' start and end, seconds of CLOCK_MONOTONIC. */
  readonly window: readonly [number, number];
  readonly duringMaxMs: number;
  readonly duringP99Ms: number;
  readonly floorMaxMs: number;
  readonly floorP99Ms: number;
}

async function runChild(figuresFile: string): Promise<void> {
  // Loaded here, not at the top: the recording parent needs none of it.
  const { filledProcessor, RECORDER_DELAY_PLAN, whileEmitting } = await import('./recorder-delay.ts');
  const { processor, close } = await filledProcessor(RECORDS, RECORDER_DELAY_PLAN.maxRecordBytes, 'recorder thread');
  try {
    (globalThis as { gc?: () => void }).gc?.();
    const start = monotonicSeconds();
    const during = await whileEmitting(0, undefined, async () => {
      for (let n = 0; n < SNAPSHOTS; n++) await processor.snapshot('bench');
    });
    const end = monotonicSeconds();
    const floor = await whileEmitting(0, undefined, () => sleep((end - start) * 1000));
    const figures: ChildFigures = {
      window: [start, end],
      duringMaxMs: during.loopMaxMs,
      duringP99Ms: during.loopP99Ms,
      floorMaxMs: floor.loopMaxMs,
      floorP99Ms: floor.loopP99Ms,
    };
    writeFileSync(figuresFile, JSON.stringify(figures));
  } finally {
    await close();
  }
}

function monotonicSeconds(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

function runRecorded(): void {
  if (process.platform !== 'linux' || spawnSync('perf', ['--version']).status !== 0) {
    console.error('bench:recorder-waits needs Linux and perf (the kernel scheduler trace)');
    process.exitCode = 1;
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'ttlog-bench-waits-'));
  try {
    const trace = join(work, 'sched.data');
    const figuresFile = join(work, 'figures.json');
    const child = [...process.execArgv, fileURLToPath(import.meta.url), '--child', figuresFile];
    execFileSync('perf', ['sched', 'record', '-k', 'CLOCK_MONOTONIC', '-o', trace, '--', process.execPath, ...child], {
      // perf's own lines (and why it refused, if it did: permissions, perf_event_paranoid) go to stderr.
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const figures = JSON.parse(readFileSync(figuresFile, 'utf8')) as ChildFigures;
    const timeline = execFileSync('perf', ['sched', 'timehist', '-i', trace], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
    report(figures, parseTimeline(timeline));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** One stretch a thread ran on a CPU, from `perf sched timehist`: it ended at `end` after running `runMs`, having waited `delayMs` for the CPU before. */
interface Stretch {
  readonly end: number;
  readonly tid: number;
  /** The process; 0 for the idle task. */
  readonly pid: number;
  readonly delayMs: number;
  readonly runMs: number;
}

/** `perf sched timehist` rows: time, [cpu], name[tid/pid] (or name[pid] for a process's main thread), wait, scheduling delay and run time in ms. */
const ROW = /^\s*(\d+\.\d+)\s+\[\d+\]\s+(.*?)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$/;
const TASK = /\[(\d+)(?:\/(\d+))?\]$/;

function parseTimeline(text: string): Stretch[] {
  const stretches: Stretch[] = [];
  for (const line of text.split('\n')) {
    const row = ROW.exec(line);
    if (row === null) continue;
    const task = TASK.exec(row[2]!);
    const tid = task === null ? 0 : Number(task[1]);
    stretches.push({ end: Number(row[1]), tid, pid: task === null ? 0 : Number(task[2] ?? task[1]), delayMs: Number(row[4]), runMs: Number(row[5]) });
  }
  return stretches;
}

function report(figures: ChildFigures, stretches: readonly Stretch[]): void {
  const [start, end] = figures.window;
  const inWindow = stretches.filter((stretch) => stretch.end > start && stretch.end < end);
  // The child is the process whose main thread ran most in the window; its recorder thread is its busiest other thread.
  const mainRun = new Map<number, number>();
  for (const stretch of inWindow)
    if (stretch.tid === stretch.pid && stretch.tid !== 0) mainRun.set(stretch.tid, (mainRun.get(stretch.tid) ?? 0) + stretch.runMs);
  const pid = [...mainRun].sort((a, b) => b[1] - a[1])[0]![0];
  const threadRun = new Map<number, number>();
  for (const stretch of inWindow) if (stretch.pid === pid && stretch.tid !== pid) threadRun.set(stretch.tid, (threadRun.get(stretch.tid) ?? 0) + stretch.runMs);
  const recorder = [...threadRun].sort((a, b) => b[1] - a[1])[0]![0];
  const kindOf = (stretch: Stretch): string =>
    stretch.pid === 0
      ? 'nothing (idle CPU)'
      : stretch.tid === recorder
        ? 'the recorder thread'
        : stretch.pid === pid
          ? "the process's other threads"
          : 'other processes';

  const waits = inWindow
    .filter((stretch) => stretch.tid === pid && stretch.delayMs > LONG_WAIT_MS)
    .map((stretch) => {
      const ran = stretch.end - stretch.runMs / 1000;
      return { from: ran - stretch.delayMs / 1000, to: ran };
    });
  const occupied = new Map<string, number>();
  for (const wait of waits) {
    for (const stretch of stretches) {
      const from = Math.max(stretch.end - stretch.runMs / 1000, wait.from);
      const to = Math.min(stretch.end, wait.to);
      if (to > from) occupied.set(kindOf(stretch), (occupied.get(kindOf(stretch)) ?? 0) + (to - from) * 1000);
    }
  }
  const seconds = end - start;
  const waited = waits.reduce((sum, wait) => sum + (wait.to - wait.from) * 1000, 0);
  const longest = waits.reduce((most, wait) => Math.max(most, (wait.to - wait.from) * 1000), 0);
  const cpuTime = [...occupied.values()].reduce((sum, ms) => sum + ms, 0);
  const recorderMs = threadRun.get(recorder)!;
  const othersMs = [...threadRun].reduce((sum, [tid, ms]) => (tid === recorder ? sum : sum + ms), 0);
  console.log(
    `Node ${process.version}, ${SNAPSHOTS} snapshots of ${RECORDS.toLocaleString('en-US')} records in ${seconds.toFixed(1)} s, the main thread only awaiting them`,
  );
  console.log(
    `event-loop delay: max ${figures.duringMaxMs.toFixed(1)} ms, p99 ${figures.duringP99Ms.toFixed(1)} ms ` +
      `(the same time without snapshots: max ${figures.floorMaxMs.toFixed(1)} ms, p99 ${figures.floorP99Ms.toFixed(1)} ms)`,
  );
  console.log(
    `CPU time in the snapshots' window: the recorder thread ${recorderMs.toFixed(0)} ms, the process's other threads ${othersMs.toFixed(0)} ms ` +
      `(${((othersMs / seconds) * 0.1).toFixed(1)} % of a CPU)`,
  );
  console.log(
    `the main thread waited for a CPU more than ${LONG_WAIT_MS} ms ${waits.length} times (${(waits.length / seconds).toFixed(1)} per second), ` +
      `${waited.toFixed(0)} ms in all, ${longest.toFixed(1)} ms at most; meanwhile the CPUs ran:`,
  );
  for (const [kind, ms] of [...occupied].sort((a, b) => b[1] - a[1])) console.log(`  ${kind.padEnd(28)} ${((ms / cpuTime) * 100).toFixed(0).padStart(3)} %`);
}

const childIndex = process.argv.indexOf('--child');
if (childIndex >= 0) await runChild(process.argv[childIndex + 1]!);
else runRecorded();
