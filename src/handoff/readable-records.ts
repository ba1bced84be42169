/**
 * Records read back from a snapshot (the ring's, or a file's) → the `ReadableLogRecord`s an
 * exporter takes, with everything they were logged with: their own times (never the hand-off's),
 * severity, body and attributes as they were, event name, trace context, scope and dropped count.
 *
 * OTLP serializers group records by the identity of their resource and scope objects, so one
 * builder hands every record the same resource and one object per distinct scope: a hand-off
 * becomes one `ResourceLogs` with one `ScopeLogs` per scope, not one per record.
 */
import type { HrTime, InstrumentationScopeLike, ReadableLogRecordLike, ResourceLike } from '../otel-types.ts';
import type { SnapshotRecord, SnapshotScope } from '../types.ts';

type Resource = ReadableLogRecordLike['resource'];
type Scope = ReadableLogRecordLike['instrumentationScope'];

const NS_PER_SECOND = 1_000_000_000n;

/** Builds `ReadableLogRecord`s of one resource, sharing one scope object per distinct scope. */
export class ReadableRecords {
  /** Scopes met so far, by their content: the reader makes new scope objects per chunk. */
  private readonly scopes = new Map<string, Scope>();

  constructor(private readonly resource: Resource) {}

  /** A resource for records read from a file: its header's attributes, in one object. */
  static fileResource(attributes: Readonly<Record<string, unknown>>): Resource {
    return { attributes };
  }

  /** A live resource (the SDK's own object), passed through as it is. */
  static liveResource(resource: ResourceLike): Resource {
    return resource;
  }

  /** The record as an exporter takes it, with this builder's resource and shared scope. */
  rebuild(record: SnapshotRecord): ReadableLogRecordLike {
    const hasTrace = record.traceId !== undefined && record.spanId !== undefined;
    return {
      hrTime: hrTime(record.timestamp),
      hrTimeObserved: hrTime(record.observedTimestamp),
      ...(hasTrace ? { spanContext: { traceId: record.traceId!, spanId: record.spanId!, traceFlags: record.traceFlags ?? 0 } } : {}),
      // 0 is how a file stores "no severity": the record had none.
      severityNumber: record.severityNumber === 0 ? undefined : record.severityNumber,
      severityText: record.severityText,
      body: record.body,
      eventName: record.eventName,
      resource: this.resource,
      instrumentationScope: this.scope(record.scope),
      attributes: record.attributes,
      droppedAttributesCount: record.droppedAttributesCount,
    };
  }

  private scope(scope: SnapshotScope): Scope {
    const key = scopeKey(scope);
    let shared = this.scopes.get(key);
    if (shared === undefined) {
      const rebuilt: InstrumentationScopeLike = {
        name: scope.name,
        ...(scope.version === undefined ? {} : { version: scope.version }),
        ...(scope.schemaUrl === undefined ? {} : { schemaUrl: scope.schemaUrl }),
        ...(scope.attributes === undefined ? {} : { attributes: scope.attributes }),
      };
      shared = rebuilt;
      this.scopes.set(key, shared);
    }
    return shared;
  }
}

/** Nanoseconds since the epoch → `[seconds, nanoseconds]`, exactly. */
function hrTime(nanos: bigint): HrTime {
  return [Number(nanos / NS_PER_SECOND), Number(nanos % NS_PER_SECOND)];
}

function scopeKey(scope: SnapshotScope): string {
  return JSON.stringify([scope.name, scope.version, scope.schemaUrl, scope.attributes], (_key, value) =>
    typeof value === 'bigint' ? `${value}n` : value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value,
  );
}
