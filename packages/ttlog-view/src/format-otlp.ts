/**
 * `--otlp`: OTLP JSON lines, one `ExportLogsServiceRequest` per line, as the OpenTelemetry
 * Collector's otlpjsonfile receiver reads them. The requests are built by
 * `@opentelemetry/otlp-transformer`'s `JsonLogsSerializer` from records adapted to the SDK's
 * `ReadableLogRecord` shape, so the mapping is OpenTelemetry's own.
 */
import { JsonLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { AnyValue } from 'ttlog';
import type { SnapshotScope } from 'ttlog';
import type { SnapshotSource, ViewRecord } from './sources.ts';

/** Records per request line: large enough to share resource and scope, small enough to stream. */
export const OTLP_BATCH_RECORDS = 512;

/**
 * The transformer turns values it does not know (bigint) into an empty AnyValue. A bigint is
 * passed as a marked string instead and the marked `stringValue` is rewritten to the `intValue`
 * string the OTLP JSON mapping uses for 64-bit integers.
 */
const BIGINT_MARK = '\u0000ttlog-int64:';
const MARKED_INT = /\{"stringValue":"\\u0000ttlog-int64:(-?\d+)"\}/g;

interface ReadableLogRecordShape {
  readonly hrTime: [number, number];
  readonly hrTimeObserved: [number, number];
  readonly spanContext?: { traceId: string; spanId: string; traceFlags: number };
  readonly severityText?: string;
  readonly severityNumber?: number;
  readonly body?: unknown;
  readonly eventName?: string;
  readonly resource: { attributes: Record<string, unknown> };
  readonly instrumentationScope: { name: string; version?: string; schemaUrl?: string; attributes?: Record<string, unknown> };
  readonly attributes: Record<string, unknown>;
  readonly droppedAttributesCount: number;
}

/** Builds request lines; resource and scope objects are shared per file, as the transformer groups by identity. */
export class OtlpEncoder {
  private readonly resources = new Map<SnapshotSource, { attributes: Record<string, unknown> }>();
  private readonly scopes = new Map<string, ReadableLogRecordShape['instrumentationScope']>();
  private readonly decoder = new TextDecoder();

  /** One `ExportLogsServiceRequest` as a JSON line (no line break). */
  requestLine(batch: readonly ViewRecord[]): string {
    const bytes = JsonLogsSerializer.serializeRequest(batch.map((item) => this.adapt(item)) as never);
    if (bytes === undefined) throw new Error('the OTLP serializer returned nothing');
    return this.decoder.decode(bytes).replace(MARKED_INT, '{"intValue":"$1"}');
  }

  private adapt({ record, source }: ViewRecord): ReadableLogRecordShape {
    return {
      hrTime: hrTime(record.timestamp),
      hrTimeObserved: hrTime(record.observedTimestamp),
      ...(record.traceId !== undefined && record.spanId !== undefined
        ? { spanContext: { traceId: record.traceId, spanId: record.spanId, traceFlags: record.traceFlags ?? 0 } }
        : {}),
      ...(record.severityText === undefined ? {} : { severityText: record.severityText }),
      ...(record.severityNumber === 0 ? {} : { severityNumber: record.severityNumber }),
      ...(record.body === undefined ? {} : { body: otlpValue(record.body) }),
      ...(record.eventName === undefined ? {} : { eventName: record.eventName }),
      resource: this.resource(source),
      instrumentationScope: this.scope(source, record.scope),
      attributes: otlpAttributes(record.attributes),
      droppedAttributesCount: record.droppedAttributesCount,
    };
  }

  private resource(source: SnapshotSource) {
    let resource = this.resources.get(source);
    if (resource === undefined) {
      const attributes = otlpAttributes(source.metadata.resource);
      // A snapshot always knows its service; the resource may not have said it.
      if (attributes['service.name'] === undefined && source.metadata.service !== '') attributes['service.name'] = source.metadata.service;
      resource = { attributes };
      this.resources.set(source, resource);
    }
    return resource;
  }

  private scope(source: SnapshotSource, scope: SnapshotScope) {
    const key = `${source.index}\u0000${scope.name}\u0000${scope.version ?? ''}\u0000${scope.schemaUrl ?? ''}\u0000${JSON.stringify(scope.attributes ?? {}, (_, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value))}`;
    let shared = this.scopes.get(key);
    if (shared === undefined) {
      shared = {
        name: scope.name,
        ...(scope.version === undefined ? {} : { version: scope.version }),
        ...(scope.schemaUrl === undefined ? {} : { schemaUrl: scope.schemaUrl }),
        ...(scope.attributes === undefined ? {} : { attributes: otlpAttributes(scope.attributes) }),
      };
      this.scopes.set(key, shared);
    }
    return shared;
  }
}

/** Nanoseconds → the SDK's `[seconds, nanoseconds]`, exactly. */
export function hrTime(nanos: bigint): [number, number] {
  const seconds = nanos / 1_000_000_000n;
  return [Number(seconds), Number(nanos - seconds * 1_000_000_000n)];
}

function otlpAttributes(attributes: Record<string, AnyValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in attributes) out[key] = otlpValue(attributes[key]);
  return out;
}

function otlpValue(value: AnyValue): unknown {
  if (typeof value === 'bigint') return `${BIGINT_MARK}${value}`;
  if (Array.isArray(value)) return value.map(otlpValue);
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) return otlpAttributes(value);
  return value;
}
