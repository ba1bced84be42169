/**
 * ttlog-view speed (docs/viewer.md, "Speed"): decode-only and decode+print rates on a 1M-record
 * snapshot, and the time of `--last 100` on it, against a baseline measured in the same run:
 * `JSON.parse` of the same records as the NDJSON lines pino writes for them (what only parsing
 * the records would cost, had they been logged with pino).
 *
 * Run: `npm run bench:viewer` (builds first, so the `ttlog-view` process runs the built CLI a user
 * gets), or `node --import tsx bench/viewer.ts [records] [rounds]`. Every measure runs once per
 * round, rounds rotating through the measures, so that a noisy neighbour slows all of them alike;
 * the table gives the median and the best round. Not a test: it prints figures, it asserts nothing.
 *
 * The figures behind the read path's choices, as measured when each was made; the code names each
 * choice and refers here.
 * - CborCursor.unsigned (src/read/cbor-cursor.ts): reading small unsigned keys, counts and indexes
 *   without a call to value() took 11% fewer instructions decoding these records (valgrind).
 * - ReadAheadSource.read (src/read/byte-source.ts): copying the rest of one window and the next
 *   into one buffer, to save the copy of a read across the two, cost 5% of the text run (profile).
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import pino from 'pino';
import { runView } from '../packages/ttlog-view/src/run.ts';
import { openSnapshot, SnapshotExporter, TTLogProcessor } from '../src/index.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const count = Number(process.argv[2] ?? 1_000_000);
const rounds = Number(process.argv[3] ?? 5);
const directory = mkdtempSync(join(tmpdir(), 'viewer-bench-'));

/** The same records (message, level, attributes) as pino writes them, one JSON line each. */
function writePinoLines(path: string): void {
  const destination = pino.destination({ dest: path, sync: true });
  const logger = pino({ base: { pid: process.pid, hostname: 'bench' }, name: 'bench' }, destination);
  for (let i = 0; i < count; i++) {
    const attributes = { 'http.route': '/api/orders', 'http.status_code': 200, 'duration.ms': i % 97, 'user.id': `u${i % 5000}` };
    if (i % 1000 === 999) logger.error(attributes, 'request handled');
    else logger.info(attributes, 'request handled');
  }
  destination.flushSync();
}

async function writeSnapshot(): Promise<string> {
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory }), capacity: count });
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'bench' }), processors: [processor as never] });
  const logger = provider.getLogger('bench');
  const start = 1_773_500_966_000n;
  for (let i = 0; i < count; i++) {
    const micros = start * 1000n + BigInt(i) * 7n;
    const seconds = Number(micros / 1_000_000n);
    const nanos = Number(micros % 1_000_000n) * 1000;
    logger.emit({
      timestamp: [seconds, nanos],
      // The SDK observes a record microseconds after its timestamp; left to the SDK, the observed
      // time would be today's while the timestamps are fixed, months apart.
      observedTimestamp: [seconds, nanos + 41_000],
      severityNumber: i % 1000 === 999 ? 17 : 9,
      body: 'request handled',
      attributes: { 'http.route': '/api/orders', 'http.status_code': 200, 'duration.ms': i % 97, 'user.id': `u${i % 5000}` },
    });
  }
  return processor.snapshot('bench');
}

/** CPU time (all threads of the process) and wall time of one run of `work`, in seconds. */
async function timed(work: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  await work();
  const used = process.cpuUsage(cpu);
  return { wall: Number(process.hrtime.bigint() - started) / 1e9, cpu: (used.user + used.system) / 1e6 };
}

async function viewToNull(args: readonly string[], file: string): Promise<void> {
  const sink = createWriteStream('/dev/null');
  await runView([...args, file], { stdout: sink, stderr: process.stderr, env: {} });
  await new Promise((resolve) => sink.close(resolve));
}

/** The built CLI when there is one (`npm run bench:viewer` builds it), else the sources through tsx. */
const cli = existsSync(join(root, 'packages/ttlog-view/dist/bin.js'))
  ? [join(root, 'packages/ttlog-view/dist/bin.js')]
  : ['--import', 'tsx', join(root, 'packages/ttlog-view/src/bin.ts')];

function viewProcess(args: readonly string[], file: string): Promise<void> {
  const result = spawnSync(process.execPath, [...cli, ...args, file], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error(`ttlog-view ${args.join(' ')} exited with ${result.status}`);
  return Promise.resolve();
}

const file = await writeSnapshot();
const ndjsonPath = join(directory, 'records.ndjson');
writePinoLines(ndjsonPath);
const ndjson = readFileSync(ndjsonPath, 'latin1');

interface Measure {
  readonly name: string;
  /** Records per run, for a rate; undefined for a measure reported as a time. */
  readonly records: number | undefined;
  readonly run: () => Promise<unknown>;
  /** Runs a `ttlog-view` process, whose CPU time this process does not see. */
  readonly child?: boolean;
}

const measures: Measure[] = [
  {
    name: 'baseline: JSON.parse of the same records as pino lines',
    records: count,
    run: async () => {
      let parsed = 0;
      for (let start = 0; start < ndjson.length; ) {
        const end = ndjson.indexOf('\n', start);
        if (JSON.parse(ndjson.slice(start, end)) !== null) parsed++;
        start = end + 1;
      }
      if (parsed !== count) throw new Error(`parsed ${parsed} records`);
    },
  },
  {
    name: 'decode only, chunks()',
    records: count,
    run: async () => {
      let decoded = 0;
      for await (const chunk of (await openSnapshot(file)).chunks()) decoded += chunk.length;
      if (decoded !== count) throw new Error(`decoded ${decoded} records`);
    },
  },
  {
    name: 'decode only, records()',
    records: count,
    run: async () => {
      let decoded = 0;
      for await (const record of (await openSnapshot(file)).records()) if (record.seq >= 0) decoded++;
      if (decoded !== count) throw new Error(`decoded ${decoded} records`);
    },
  },
  { name: 'decode + print text (--utc), in-process', records: count, run: () => viewToNull(['--utc'], file) },
  { name: 'decode + print --json, in-process', records: count, run: () => viewToNull(['--json'], file) },
  { name: 'ttlog-view --utc > /dev/null, process start included', records: count, run: () => viewProcess(['--utc'], file), child: true },
  { name: 'last(100), reader API', records: undefined, run: async () => (await openSnapshot(file)).last(100) },
  { name: 'ttlog-view --last 100 > /dev/null, process start included', records: undefined, run: () => viewProcess(['--last', '100'], file), child: true },
];

const samples = new Map<Measure, Array<{ wall: number; cpu: number }>>(measures.map((measure) => [measure, []]));
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < measures.length; i++) {
    const measure = measures[(i + round) % measures.length]!;
    samples.get(measure)!.push(await timed(measure.run));
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

const baselineWall = median(samples.get(measures[0]!)!.map((sample) => sample.wall));
console.log(
  `snapshot: ${count} records, ${(statSync(file).size / 1e6).toFixed(1)} MB; pino's NDJSON of the same records: ${(ndjson.length / 1e6).toFixed(1)} MB`,
);
console.log(
  `machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, load average ${loadavg()
    .map((load) => load.toFixed(2))
    .join(' ')}`,
);
console.log(
  `${rounds} rounds; median and best of wall time; cpu is the median CPU time of the process (all threads); vs baseline: median wall time over the baseline's`,
);
console.log('');
for (const measure of measures) {
  const runs = samples.get(measure)!;
  const wall = runs.map((sample) => sample.wall);
  const cpu = median(runs.map((sample) => sample.cpu));
  const ratio = `${(median(wall) / baselineWall).toFixed(2)}× baseline`;
  const figures =
    measure.records === undefined
      ? `${(median(wall) * 1000).toFixed(0)} ms median, ${(Math.min(...wall) * 1000).toFixed(0)} ms best${measure.child ? '' : `, cpu ${(cpu * 1000).toFixed(0)} ms`}`
      : `${(measure.records / median(wall) / 1e6).toFixed(2)} M records/s median, ${(measure.records / Math.min(...wall) / 1e6).toFixed(2)} best, ${measure.child ? '' : `cpu ${((cpu / measure.records) * 1e9).toFixed(0)} ns/record, `}${ratio}`;
  console.log(`${measure.name.padEnd(58)} ${figures}`);
}

rmSync(directory, { recursive: true, force: true });
