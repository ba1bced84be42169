// Hand-off: a service keeps its logs in ttlog's ring and sends to the OpenTelemetry pipeline only
// the records of the requests that failed. Run it against any OTLP/HTTP logs receiver — an
// OpenTelemetry Collector on localhost:4318, say (docs/handoff.md has a configuration) — or
// without one, with a small receiver of its own that prints what arrives:
//
//   npm run build && node examples/handoff.js                  (its own receiver)
//   OTLP_URL=http://localhost:4318/v1/logs node examples/handoff.js
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, TraceFlags, trace } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { SnapshotExporter, TTLogProcessor } from 'ttlog';

const url = process.env.OTLP_URL ?? (await localReceiver());
const directory = process.env.TTLOG_SNAPSHOT_DIR || mkdtempSync(join(tmpdir(), 'ttlog-handoff-'));

const processor = new TTLogProcessor({
  exporter: new SnapshotExporter({ directory }),
  // An ERROR record hands off its trace's records (those logged within 200 ms after it too).
  snapshotOnSeverity: { windowMs: 200 },
  handoff: { exporter: new OTLPLogExporter({ url }) },
});
const provider = new LoggerProvider({
  resource: resourceFromAttributes({ 'service.name': 'demo-orders' }),
  processors: [processor],
});
const logger = provider.getLogger('demo-orders.http', '1.0.0');

// Ten requests, each in a trace of its own; request 7 fails.
for (let request = 0; request < 10; request++) {
  const traceId = (request + 1).toString(16).padStart(32, 'a');
  const inTrace = trace.setSpanContext(context.active(), { traceId, spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED });
  logger.emit({ severityNumber: 9, severityText: 'INFO', body: `request ${request} received`, context: inTrace });
  logger.emit({ severityNumber: 5, severityText: 'DEBUG', body: `request ${request}: cache miss`, attributes: { key: `order:${request}` }, context: inTrace });
  if (request === 7)
    logger.emit({ severityNumber: 17, severityText: 'ERROR', body: `request ${request} failed`, attributes: { 'error.type': 'Timeout' }, context: inTrace });
}

await sleep(1000);
console.log('hand-off stats:', processor.stats().handoff);
// Ends without provider.shutdown(): its final hand-off (as SIGTERM's with captureCrashes) would
// send what is new, the nine requests that did not fail too.
process.exit(0);

/** An OTLP/HTTP receiver on a free local port that prints each record it gets (http/json). */
async function localReceiver() {
  const server = createServer((request, response) => {
    const parts = [];
    request.on('data', (part) => parts.push(part));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString('utf8'));
      for (const { scopeLogs } of body.resourceLogs ?? [])
        for (const { logRecords } of scopeLogs ?? [])
          for (const record of logRecords ?? []) console.log(`received: trace ${record.traceId} ${record.severityText ?? ''} ${record.body?.stringValue}`);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  server.unref();
  return `http://127.0.0.1:${server.address().port}/v1/logs`;
}
