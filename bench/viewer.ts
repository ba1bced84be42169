/**
 * ttlog-view speed (issue 4, "Speed"): decode-only and decode+print rates on a 1M-record
 * snapshot, and the time of `--last 100` on it. Run: `node --import tsx bench/viewer.ts [records]`.
 * Not a test: it prints figures, it asserts nothing.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SnapshotExporter, TTLogProcessor, openSnapshot } from '../src/index.ts';
import { runView } from '../src/cli/run.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const count = Number(process.argv[2] ?? 1_000_000);
const directory = mkdtempSync(join(tmpdir(), 'viewer-bench-'));

async function writeSnapshot(): Promise<string> {
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory }), capacity: count });
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'bench' }), processors: [processor as never] });
  const logger = provider.getLogger('bench');
  const start = 1_773_500_966_000n;
  for (let i = 0; i < count; i++) {
    const micros = start * 1000n + BigInt(i) * 7n;
    logger.emit({
      timestamp: [Number(micros / 1_000_000n), Number(micros % 1_000_000n) * 1000],
      severityNumber: i % 1000 === 999 ? 17 : 9,
      body: 'request handled',
      attributes: { 'http.route': '/api/orders', 'http.status_code': 200, 'duration.ms': i % 97, 'user.id': `u${i % 5000}` },
    });
  }
  return processor.snapshot('bench');
}

function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

function rate(records: number, elapsed: number): string {
  return `${(records / elapsed / 1e6).toFixed(2)} M records/s (${elapsed.toFixed(2)} s)`;
}

const file = await writeSnapshot();
console.log(`snapshot: ${count} records, ${(statSync(file).size / 1e6).toFixed(1)} MB`);

console.log(`machine: ${availableParallelism()} cores, load average ${loadavg().map((load) => load.toFixed(2)).join(' ')} (figures are wall time; a busy machine lowers them)`);

let started = process.hrtime.bigint();
let reader = await openSnapshot(file);
let decoded = 0;
for await (const record of reader.records()) if (record.seq >= 0) decoded++;
console.log(`decode only, records():              ${rate(decoded, seconds(started))}`);

started = process.hrtime.bigint();
reader = await openSnapshot(file);
decoded = 0;
for await (const chunk of reader.chunks()) decoded += chunk.length;
console.log(`decode only, chunks():               ${rate(decoded, seconds(started))}`);

started = process.hrtime.bigint();
reader = await openSnapshot(file);
const tail = await reader.last(100);
console.log(`last(100), reader API:               ${(seconds(started) * 1000).toFixed(0)} ms (${tail.length} records)`);

for (const args of [['--utc'], ['--json']]) {
  const sink = createWriteStream('/dev/null');
  started = process.hrtime.bigint();
  await runView([...args, file], { stdout: sink, stderr: process.stderr, env: {} });
  const elapsed = seconds(started);
  sink.close();
  console.log(`decode + print ${args.join(' ').padEnd(7)} in-process:  ${rate(count, elapsed)}`);
}

for (const args of [['--utc'], ['--last', '100']]) {
  started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/bin.ts'), ...args, file], { stdio: ['ignore', 'ignore', 'inherit'] });
  const elapsed = seconds(started);
  console.log(`ttlog-view ${args.join(' ').padEnd(10)} > /dev/null: ${elapsed.toFixed(2)} s wall, process start included (exit ${result.status})`);
}

rmSync(directory, { recursive: true, force: true });
