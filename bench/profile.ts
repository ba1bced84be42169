/**
 * `npm run bench:profile -- emit|snapshot|<file.cpuprofile>`: where the time of a hot path goes.
 *   emit      — 2M `logger.emit` calls into a `TTLogProcessor` with its defaults, after a warm-up;
 *   snapshot  — fills a 1M-record ring (as the snapshot benchmark does) and writes 3 snapshots;
 *   a `.cpuprofile` file (from `node --cpu-prof`) — summarised as it is.
 * The two workloads run under V8's sampling profiler (the one `--cpu-prof` uses) started through
 * node:inspector after the warm-up, so set-up and JIT warm-up are not in the summary.
 */
import { Session } from 'node:inspector/promises';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SnapshotExporter, TTLogProcessor } from '../src/index.ts';
import { summarizeProfile, type CpuProfile } from './profile-summary.ts';
import { MESSAGE, SCOPE_NAME, SCOPE_VERSION, SEVERITY_NUMBER, SEVERITY_TEXT, attributesOf, cacheHitOf, methodOf, pooledRequestId, statusOf } from './record.ts';

const SAMPLING_INTERVAL_MICROS = 100;

async function profileWorkload(target: 'emit' | 'snapshot'): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-profile-'));
  const sizes = target === 'emit' ? {} : { capacity: 1_048_576, maxRecordBytes: 256 };
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory }), ...sizes });
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'ttlog-bench' }), processors: [processor as never] });
  const logger = provider.getLogger(SCOPE_NAME, SCOPE_VERSION);
  // The same call site as the throughput benchmark's (candidates.ts).
  const emit = (from: number, count: number): void => {
    for (let i = from; i < from + count; i++) {
      logger.emit({
        severityNumber: SEVERITY_NUMBER,
        severityText: SEVERITY_TEXT,
        body: MESSAGE,
        attributes: { 'http.method': methodOf(i), 'http.status_code': statusOf(i), 'cache.hit': cacheHitOf(i), 'request.id': pooledRequestId(i) },
      });
    }
  };
  const session = new Session();
  session.connect();
  try {
    if (target === 'emit') emit(0, 200_000);
    else for (let i = 0; i < 1_000_000; i++) logger.emit({ severityNumber: SEVERITY_NUMBER, severityText: SEVERITY_TEXT, body: MESSAGE, attributes: attributesOf(i) });
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_MICROS });
    await session.post('Profiler.start');
    if (target === 'emit') emit(200_000, 2_000_000);
    else for (let repeat = 0; repeat < 3; repeat++) rmSync(await processor.snapshot('profile'));
    const { profile } = await session.post('Profiler.stop');
    console.log(summarizeProfile(profile as unknown as CpuProfile, `${target} (samples every ${SAMPLING_INTERVAL_MICROS} µs)`));
  } finally {
    session.disconnect();
    rmSync(directory, { recursive: true, force: true });
  }
}

const argument = process.argv[2] ?? 'emit';
if (argument.endsWith('.cpuprofile')) {
  console.log(summarizeProfile(JSON.parse(readFileSync(argument, 'utf8')) as CpuProfile, argument));
} else if (argument === 'emit' || argument === 'snapshot') {
  await profileWorkload(argument);
} else {
  console.error('usage: npm run bench:profile -- emit|snapshot|<file.cpuprofile>');
  process.exitCode = 2;
}
