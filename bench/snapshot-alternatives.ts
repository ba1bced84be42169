/**
 * What the records of a snapshot cost in the formats a user has without ttlog, for the same
 * records (record.ts, a unique id in each):
 * - NDJSON + gzip: the lines pino writes, compressed as log rotation does (gzip level 6, the
 *   `gzip` default), written to a file with fsync; read back by gunzip + `JSON.parse` per line;
 * - OTLP protobuf: `ProtobufLogsSerializer` over batches of 512 SDK records (the OTLP exporter's
 *   default batch), raw and gzip-compressed per batch (the exporter's `compression: 'gzip'`).
 * Only the serialization, compression and file write are timed, not the logging that made the records.
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import pino from 'pino';
import { attributesOf, MESSAGE, requestIdOf, SCOPE_NAME, SCOPE_VERSION, SEVERITY_NUMBER, SEVERITY_TEXT } from './record.ts';

export interface AlternativesResult {
  readonly records: number;
  readonly ndjsonBytes: number;
  readonly gzipBytes: number;
  /** gzip + write + fsync, wall and CPU. */
  readonly gzipWriteMs: number;
  readonly gzipCpuMs: number;
  /** gunzip + JSON.parse of every line. */
  readonly gzipReadMs: number;
  readonly protobufBytes: number;
  readonly protobufMs: number;
  readonly protobufGzipBytes: number;
  /** Serialization plus gzip of every batch. */
  readonly protobufGzipMs: number;
  /** CPU time of serialization plus gzip of every batch. */
  readonly protobufGzipCpuMs: number;
  readonly check: string;
}

const OTLP_BATCH = 512;

const cpuMsSince = (start: NodeJS.CpuUsage): number => {
  const cpu = process.cpuUsage(start);
  return (cpu.user + cpu.system) / 1000;
};

export function measureAlternatives(records: number): AlternativesResult {
  const directory = mkdtempSync(join(tmpdir(), 'ttlog-bench-'));
  try {
    const lines: string[] = [];
    const logger = pino({ base: { service: 'ttlog-bench' } }, { write: (line: string) => void lines.push(line) });
    for (let i = 0; i < records; i++) logger.info(attributesOf(i), MESSAGE);
    const ndjson = Buffer.from(lines.join(''));
    lines.length = 0;

    const path = join(directory, 'service.log.gz');
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const gzipped = gzipSync(ndjson, { level: 6 });
    const fd = openSync(path, 'w', 0o600);
    writeSync(fd, gzipped);
    fsyncSync(fd);
    closeSync(fd);
    const gzipWriteMs = performance.now() - start;
    const gzipCpuMs = cpuMsSince(cpuStart);

    const readStart = performance.now();
    const text = gunzipSync(readFileSync(path)).toString('utf8');
    let parsed = 0;
    let last: { msg?: string; 'request.id'?: string } = {};
    for (let from = 0; from < text.length; ) {
      const end = text.indexOf('\n', from);
      last = JSON.parse(text.slice(from, end)) as typeof last;
      parsed++;
      from = end + 1;
    }
    const gzipReadMs = performance.now() - readStart;
    if (parsed !== records || last.msg !== MESSAGE || last['request.id'] !== requestIdOf(records - 1)) {
      throw new Error(`the NDJSON read back ${parsed} lines of ${records}, the last ${JSON.stringify(last)}`);
    }

    const protobuf = serializeOtlp(records);
    return {
      records,
      ndjsonBytes: ndjson.byteLength,
      gzipBytes: gzipped.byteLength,
      gzipWriteMs,
      gzipCpuMs,
      gzipReadMs,
      ...protobuf,
      check: `the NDJSON file read back as ${parsed.toLocaleString('en-US')} lines, the last as logged; the OTLP serializer took ${protobuf.batches.toLocaleString('en-US')} batches`,
    };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

function serializeOtlp(records: number): {
  protobufBytes: number;
  protobufMs: number;
  protobufGzipBytes: number;
  protobufGzipMs: number;
  protobufGzipCpuMs: number;
  batches: number;
} {
  let batch: ReadableLogRecord[] = [];
  let batches = 0;
  let protobufBytes = 0;
  let protobufMs = 0;
  let protobufGzipBytes = 0;
  let gzipMs = 0;
  let cpuMs = 0;
  const flush = (): void => {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const body = ProtobufLogsSerializer.serializeRequest(batch);
    const serialized = performance.now();
    if (body === undefined) throw new Error('ProtobufLogsSerializer returned nothing');
    protobufGzipBytes += gzipSync(body).byteLength;
    gzipMs += performance.now() - serialized;
    protobufMs += serialized - start;
    protobufBytes += body.byteLength;
    cpuMs += cpuMsSince(cpuStart);
    batches++;
    batch = [];
  };
  const processor = {
    onEmit(record: ReadableLogRecord): void {
      batch.push(record);
      if (batch.length === OTLP_BATCH) flush();
    },
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'ttlog-bench' }), processors: [processor as never] });
  const logger = provider.getLogger(SCOPE_NAME, SCOPE_VERSION);
  for (let i = 0; i < records; i++) logger.emit({ severityNumber: SEVERITY_NUMBER, severityText: SEVERITY_TEXT, body: MESSAGE, attributes: attributesOf(i) });
  if (batch.length > 0) flush();
  if (batches !== Math.ceil(records / OTLP_BATCH)) throw new Error(`OTLP: ${batches} batches for ${records} records`);
  return { protobufBytes, protobufMs, protobufGzipBytes, protobufGzipMs: protobufMs + gzipMs, protobufGzipCpuMs: cpuMs, batches };
}
