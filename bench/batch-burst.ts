/**
 * What `BatchLogRecordProcessor` does with a burst logged without an event-loop turn: its queue
 * (2048 by default) fills and it drops the rest. The throughput loops yield often enough that it
 * does not; this shows the other case, with its drops counted.
 */

import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, InMemoryLogRecordExporter, LoggerProvider } from '@opentelemetry/sdk-logs';
import { attributesOf, MESSAGE, SCOPE_NAME, SCOPE_VERSION, SEVERITY_NUMBER, SEVERITY_TEXT } from './record.ts';

export interface BurstResult {
  readonly emitted: number;
  readonly exported: number;
  readonly dropped: number;
}

export async function measureBatchBurst(records: number): Promise<BurstResult> {
  const exporter = new InMemoryLogRecordExporter();
  const processor = new BatchLogRecordProcessor({ exporter });
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'ttlog-bench' }), processors: [processor] });
  const logger = provider.getLogger(SCOPE_NAME, SCOPE_VERSION);
  for (let i = 0; i < records; i++) {
    logger.emit({ severityNumber: SEVERITY_NUMBER, severityText: SEVERITY_TEXT, body: MESSAGE, attributes: attributesOf(i) });
  }
  await provider.forceFlush();
  const exported = exporter.getFinishedLogRecords().length;
  await provider.shutdown();
  return { emitted: records, exported, dropped: records - exported };
}
