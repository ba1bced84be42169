// The demo's worker thread: its own LoggerProvider, writing into the main thread's ring through
// TTLogProcessor.attach. Its records appear in the main thread's snapshots with producer 1.
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { TTLogProcessor } from 'ttlog';

const provider = new LoggerProvider({
  resource: resourceFromAttributes({ 'service.name': 'demo-shop' }),
  processors: [TTLogProcessor.attach(workerData.ring)],
});
const logger = provider.getLogger('demo-shop.jobs', '1.4.2');

const jobs = ['send-receipt', 'reindex-product', 'expire-carts'];
parentPort.postMessage('ready');
for (let i = 0; i < workerData.jobs; i++) {
  const failed = i % 41 === 40;
  logger.emit({
    severityNumber: failed ? SeverityNumber.WARN : SeverityNumber.DEBUG,
    severityText: failed ? 'WARN' : 'DEBUG',
    eventName: failed ? 'job.retry' : 'job.done',
    body: { job: jobs[i % jobs.length], id: 10_000 + i, attempt: failed ? 2 : 1 },
    attributes: { 'job.queue': 'default', 'job.duration_ms': 5 + (i % 17), 'job.ok': !failed },
  });
  if (i % 6 === 5) await sleep(1); // 30 turns, like the main thread's loop
}

await provider.shutdown(); // an attached processor has no exporter: this only stops it
