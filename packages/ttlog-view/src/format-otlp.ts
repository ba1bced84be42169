/**
 * `--otlp`: OTLP JSON lines, one `ExportLogsServiceRequest` per line, as the OpenTelemetry
 * Collector's otlpjsonfile receiver reads them.
 *
 * The request is built here, not by `@opentelemetry/otlp-transformer`: that package depends on
 * one line of the OpenTelemetry SDK (sdk-logs, sdk-trace, sdk-metrics), so an app on the other
 * line that installed the viewer got a second SDK, with invalid peers. The mapping is small and
 * fixed by the OTLP specification's JSON encoding (opentelemetry-proto, logs/v1 and
 * common/v1): 64-bit integers and times as decimal strings, ids as hex, bytes as base64, keys in
 * lowerCamelCase. It is written field for field as the transformer's `JsonLogsSerializer` writes
 * it, and spec/format-otlp.spec.ts holds the two byte-identical.
 */
import type { AnyValue, SnapshotScope } from 'ttlog';
import type { SnapshotSource, ViewRecord } from './sources.ts';

/** Records per request line: large enough to share resource and scope, small enough to stream. */
export const OTLP_BATCH_RECORDS = 512;

/** An OTLP `AnyValue`: exactly one of these, or none for a value that has no OTLP form (null). */
type OtlpValue =
  | { stringValue: string }
  | { intValue: number | string }
  | { doubleValue: number }
  | { boolValue: boolean }
  | { bytesValue: string }
  | { arrayValue: { values: OtlpValue[] } }
  | { kvlistValue: { values: OtlpKeyValue[] } }
  | Record<string, never>;

interface OtlpKeyValue {
  readonly key: string;
  readonly value: OtlpValue;
}

interface OtlpScope {
  readonly name: string;
  readonly version: string | undefined;
  readonly attributes?: OtlpKeyValue[];
  readonly droppedAttributesCount?: number;
}

interface ScopeLogs {
  readonly scope: OtlpScope;
  readonly logRecords: object[];
  readonly schemaUrl: string | undefined;
}

interface ResourceLogs {
  readonly resource: { readonly attributes: OtlpKeyValue[]; readonly droppedAttributesCount: 0 };
  readonly scopeLogs: ScopeLogs[];
}

/** Builds request lines, grouping records by file (resource) and then by scope, in first-seen order. */
export class OtlpEncoder {
  private readonly resources = new Map<SnapshotSource, ResourceLogs['resource']>();
  private readonly scopes = new Map<string, OtlpScope & { readonly schemaUrl: string | undefined }>();

  /** One `ExportLogsServiceRequest` as a JSON line (no line break). */
  requestLine(batch: readonly ViewRecord[]): string {
    const byResource = new Map<SnapshotSource, Map<string, ScopeLogs>>();
    for (const { record, source } of batch) {
      let byScope = byResource.get(source);
      if (byScope === undefined) {
        byScope = new Map();
        byResource.set(source, byScope);
      }
      const scopeKey = this.scopeKey(source, record.scope);
      let scopeLogs = byScope.get(scopeKey);
      if (scopeLogs === undefined) {
        const { schemaUrl, ...scope } = this.scope(scopeKey, record.scope);
        scopeLogs = { scope, logRecords: [], schemaUrl };
        byScope.set(scopeKey, scopeLogs);
      }
      // Field order as the transformer writes it; undefined fields are left out by JSON.stringify.
      scopeLogs.logRecords.push({
        timeUnixNano: String(record.timestamp),
        observedTimeUnixNano: String(record.observedTimestamp),
        severityNumber: record.severityNumber === 0 ? undefined : record.severityNumber,
        severityText: record.severityText,
        body: otlpValue(record.body),
        eventName: record.eventName,
        attributes: otlpAttributes(record.attributes),
        droppedAttributesCount: record.droppedAttributesCount,
        ...(record.traceId !== undefined && record.spanId !== undefined
          ? { flags: record.traceFlags ?? 0, traceId: record.traceId, spanId: record.spanId }
          : {}),
      });
    }
    const resourceLogs: ResourceLogs[] = [];
    for (const [source, byScope] of byResource) resourceLogs.push({ resource: this.resource(source), scopeLogs: [...byScope.values()] });
    return JSON.stringify({ resourceLogs });
  }

  private resource(source: SnapshotSource): ResourceLogs['resource'] {
    let resource = this.resources.get(source);
    if (resource === undefined) {
      const attributes = { ...source.metadata.resource };
      // A snapshot always knows its service; the resource may not have said it.
      if (attributes['service.name'] === undefined && source.metadata.service !== '') attributes['service.name'] = source.metadata.service;
      resource = { attributes: otlpAttributes(attributes), droppedAttributesCount: 0 };
      this.resources.set(source, resource);
    }
    return resource;
  }

  /** Scopes are one per file, name, version, schema URL and attributes. */
  private scopeKey(source: SnapshotSource, scope: SnapshotScope): string {
    return `${source.index}\u0000${scope.name}\u0000${scope.version ?? ''}\u0000${scope.schemaUrl ?? ''}\u0000${JSON.stringify(scope.attributes ?? {}, (_, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value))}`;
  }

  private scope(key: string, scope: SnapshotScope): OtlpScope & { readonly schemaUrl: string | undefined } {
    let shared = this.scopes.get(key);
    if (shared === undefined) {
      const attributes = scope.attributes === undefined ? [] : otlpAttributes(scope.attributes);
      shared = {
        name: scope.name,
        version: scope.version,
        ...(attributes.length > 0 ? { attributes, droppedAttributesCount: 0 } : {}),
        schemaUrl: scope.schemaUrl,
      };
      this.scopes.set(key, shared);
    }
    return shared;
  }
}

function otlpAttributes(attributes: Record<string, AnyValue>): OtlpKeyValue[] {
  return Object.keys(attributes).map((key) => ({ key, value: otlpValue(attributes[key]) }));
}

/** A value as an OTLP AnyValue: whole numbers as `intValue`, other numbers as `doubleValue`, 64-bit integers as decimal strings. */
function otlpValue(value: AnyValue | undefined): OtlpValue {
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'number':
      return Number.isInteger(value) ? { intValue: value } : { doubleValue: value };
    case 'bigint':
      return { intValue: String(value) };
    case 'boolean':
      return { boolValue: value };
    default:
      if (value instanceof Uint8Array) return { bytesValue: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
      if (Array.isArray(value)) return { arrayValue: { values: value.map(otlpValue) } };
      if (value !== null && value !== undefined) return { kvlistValue: { values: otlpAttributes(value) } };
      return {};
  }
}
