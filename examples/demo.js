// A small service that logs through OpenTelemetry into one ttlog ring from the main thread and
// from a worker thread, takes a snapshot, and prints the newest records from the file.
//
//   npm run demo                                   (builds ttlog, then runs this file)
//   TTLOG_SNAPSHOT_DIR=./snapshots npm run demo    (keep the files somewhere you choose)
import { once } from 'node:events';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { context, TraceFlags, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { readSnapshot, SnapshotExporter, TTLogProcessor } from 'ttlog';

const directory = process.env.TTLOG_SNAPSHOT_DIR || mkdtempSync(join(tmpdir(), 'ttlog-demo-'));

// 256 records of at most 1 KiB each; the 480 records below overwrite the oldest ones.
const processor = new TTLogProcessor({ capacity: 256, exporter: new SnapshotExporter({ directory }) });
const provider = new LoggerProvider({
  resource: resourceFromAttributes({ 'service.name': 'demo-shop', 'service.version': '1.4.2' }),
  processors: [processor],
});
const logger = provider.getLogger('demo-shop.http', '1.4.2');

// The worker writes into the same ring: the handle carries the SharedArrayBuffer, which is shared, not copied.
const worker = new Worker(new URL('./demo-worker.js', import.meta.url), { workerData: { ring: processor.handle, jobs: 180 } });
const workerExited = once(worker, 'exit');
await once(worker, 'message'); // the worker's logger is ready

const routes = ['/cart', '/checkout', '/products/:id', '/search'];
for (let i = 0; i < 300; i++) {
  const status = i % 97 === 96 ? 503 : i % 23 === 22 ? 404 : 200;
  const traceId = (0x1000 + i).toString(16).padStart(32, '0');
  const spanId = (0x2000 + i).toString(16).padStart(16, '0');
  logger.emit({
    severityNumber: status >= 500 ? SeverityNumber.ERROR : status >= 400 ? SeverityNumber.WARN : SeverityNumber.INFO,
    severityText: status >= 500 ? 'ERROR' : status >= 400 ? 'WARN' : 'INFO',
    body: status >= 500 ? 'upstream unavailable' : 'request handled',
    attributes: {
      'http.request.method': i % 5 === 0 ? 'POST' : 'GET',
      'http.route': routes[i % routes.length],
      'http.response.status_code': status,
      duration_ms: Math.round(Math.random() * 4000) / 100,
      'user.id': `u-${(i * 7919) % 1000}`,
      ...(status >= 500 ? { error: { type: 'ECONNRESET', retryable: true, upstreams: ['inventory', 'pricing'] } } : {}),
    },
    context: trace.setSpanContext(context.active(), { traceId, spanId, traceFlags: TraceFlags.SAMPLED }),
  });
  if (i % 10 === 9) await sleep(1); // give the worker a turn, so records from both threads interleave in time
}
await workerExited;

const path = await processor.snapshot('demo');
const { metadata, records, damage } = await readSnapshot(path);

const { written, captured, overwritten, skipped, truncated, dropped } = metadata.counters;
console.log(`snapshot ${path}`);
console.log(
  `  service ${metadata.service}, reason ${metadata.reason}, format ${metadata.formatVersion.major}.${metadata.formatVersion.minor}, ${metadata.records} records in ${metadata.chunks} chunk(s)`,
);
console.log(
  `  written ${written} = captured ${captured} + overwritten ${overwritten} + skipped ${skipped}` +
    `  (${written === captured + overwritten + skipped ? 'holds' : 'DOES NOT HOLD'}); truncated ${truncated}, dropped ${dropped}`,
);
const fromWorker = records.filter((record) => record.producer !== 0).length;
console.log(
  `  from the main thread ${records.length - fromWorker}, from the worker ${fromWorker}; damage: ${damage.length === 0 ? 'none' : JSON.stringify(damage)}`,
);
console.log('\nnewest 10 records:');
for (const record of records.slice(-10)) {
  console.log(
    `${formatTime(record.timestamp)} ${(record.severityText ?? '').padEnd(5)} ${producerName(record.producer).padEnd(8)} ${record.scope.name.padEnd(14)} ${JSON.stringify(record.body)} ${formatValue(record.attributes)}`,
  );
}

await provider.shutdown(); // writes one more snapshot, with reason "shutdown"
console.log(
  `\nfiles in ${directory}:\n  ${readdirSync(directory)
    .filter((name) => name.endsWith('.bin'))
    .sort()
    .join('\n  ')}`,
);

function producerName(producer) {
  return producer === 0 ? 'main' : `worker ${producer}`;
}

/** Nanoseconds since the epoch → ISO time with all nine fraction digits. */
function formatTime(nanos) {
  const iso = new Date(Number(nanos / 1_000_000n)).toISOString();
  return `${iso.slice(0, 19)}.${(nanos % 1_000_000_000n).toString().padStart(9, '0')}Z`;
}

function formatValue(value) {
  return JSON.stringify(value, (_key, item) =>
    typeof item === 'bigint' ? `${item}n` : item instanceof Uint8Array ? `0x${Buffer.from(item).toString('hex')}` : item,
  );
}
