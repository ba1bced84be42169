/**
 * `npm run bench:profile -- emit|snapshot|<file.cpuprofile>`: where the time of a hot path goes.
 *   emit      — 2M `logger.emit` calls into a `TTLogProcessor` with its defaults, after a warm-up;
 *   snapshot  — fills a 1M-record ring (as the snapshot benchmark does) and writes 3 snapshots,
 *               on the main thread (`recorderThread: false`), where the profiler samples;
 *   a `.cpuprofile` file (from `node --cpu-prof`) — summarised as it is.
 * The two workloads run under V8's sampling profiler (the one `--cpu-prof` uses) started through
 * node:inspector after the warm-up, so set-up and JIT warm-up are not in the summary. `npm run
 * bench` runs both (smaller) at its end and puts the summaries in docs/benchmarks.md.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { SnapshotExporter, TTLogProcessor } from '../src/index.ts';
import { loopOf, otelEmitter } from './candidates.ts';
import { type CpuProfile, summarizeProfile } from './profile-summary.ts';
import { attributesOf, MESSAGE, SCOPE_NAME, SCOPE_VERSION, SEVERITY_NUMBER, SEVERITY_TEXT } from './record.ts';

const SAMPLING_INTERVAL_MICROS = 100;

export interface ProfileSizes {
  /** Records emitted under the profiler (emit). */
  readonly emitRecords: number;
  /** Records in the ring and snapshots written under the profiler (snapshot). */
  readonly snapshotRecords: number;
  readonly snapshots: number;
}

export const FULL_PROFILE: ProfileSizes = { emitRecords: 2_000_000, snapshotRecords: 1_000_000, snapshots: 3 };

/** Runs one workload under the sampling profiler and returns its summary (self time by area and by function). */
export async function profileWorkload(target: 'emit' | 'snapshot', sizes: ProfileSizes = FULL_PROFILE): Promise<string> {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-profile-'));
  // The snapshot is written on the main thread: the profiler samples only this thread, and the
  // capture and encoding it should show are the same code on the recorder thread.
  const ringSizes = target === 'emit' ? {} : { capacity: 2 ** Math.ceil(Math.log2(sizes.snapshotRecords)), maxRecordBytes: 256, recorderThread: false };
  const processor = new TTLogProcessor({ exporter: new SnapshotExporter({ directory }), ...ringSizes });
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'ttlog-bench' }), processors: [processor as never] });
  const logger = provider.getLogger(SCOPE_NAME, SCOPE_VERSION);
  // The same call site as the throughput benchmark's (candidates.ts).
  const emit = loopOf(otelEmitter(logger));
  const session = new Session();
  session.connect();
  try {
    if (target === 'emit') emit(0, 200_000);
    else
      for (let i = 0; i < sizes.snapshotRecords; i++)
        logger.emit({ severityNumber: SEVERITY_NUMBER, severityText: SEVERITY_TEXT, body: MESSAGE, attributes: attributesOf(i) });
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_MICROS });
    await session.post('Profiler.start');
    if (target === 'emit') emit(200_000, sizes.emitRecords);
    else for (let repeat = 0; repeat < sizes.snapshots; repeat++) rmSync(await processor.snapshot('profile'));
    const { profile } = await session.post('Profiler.stop');
    const what =
      target === 'emit'
        ? `${sizes.emitRecords.toLocaleString('en-US')} emits`
        : `${sizes.snapshots} snapshots of ${sizes.snapshotRecords.toLocaleString('en-US')} records`;
    return summarizeProfile(profile as unknown as CpuProfile, `${target}: ${what} (samples every ${SAMPLING_INTERVAL_MICROS} µs)`, 15);
  } finally {
    session.disconnect();
    rmSync(directory, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argument = process.argv[2] ?? 'emit';
  if (argument.endsWith('.cpuprofile')) {
    console.log(summarizeProfile(JSON.parse(readFileSync(argument, 'utf8')) as CpuProfile, argument));
  } else if (argument === 'emit' || argument === 'snapshot') {
    console.log(await profileWorkload(argument));
  } else {
    console.error('usage: npm run bench:profile -- emit|snapshot|<file.cpuprofile>');
    process.exitCode = 2;
  }
}
