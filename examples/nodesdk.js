// ttlog registered through NodeSDK. Run after `npm run build`: node examples/nodesdk.js
import { logs, SeverityNumber } from '@opentelemetry/api-logs';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { readSnapshot, TTLogProcessor } from 'ttlog';

// Snapshots go to TTLOG_SNAPSHOT_DIR, else the OS temp directory.
const ttlog = new TTLogProcessor({ capacity: 16384 });
const sdk = new NodeSDK({
  serviceName: 'checkout',
  logRecordProcessors: [ttlog],
  // Only so that this example sends nothing over the network; NodeSDK otherwise sets up OTLP
  // trace and metric exporters from the environment.
  spanProcessors: [],
  metricReaders: [],
});
sdk.start();

const logger = logs.getLogger('checkout.payments', '2.0.0');
logger.emit({ severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: 'payment authorized', attributes: { 'payment.id': 'p-1001', amount: 42.5 } });
logger.emit({ severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', body: 'capture failed', attributes: { 'payment.id': 'p-1001', retryable: false } });

const path = await ttlog.snapshot('payment-failed');
const { metadata, records } = await readSnapshot(path);
console.log(`${path}: ${metadata.service}, ${records.length} records`);
for (const record of records) console.log(`  ${record.severityText} ${record.body} ${JSON.stringify(record.attributes)}`);

await sdk.shutdown(); // shutdown writes a final snapshot (reason "shutdown")
