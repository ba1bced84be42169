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
 *
 * A line is put together from pieces serialized once each (a record, a resource's and a scope's
 * opening and closing), so its size in bytes is known before a record joins it: the receiver reads
 * a file line by line with a buffer of `max_log_size` (1 MiB by default) and cuts a longer line,
 * which then no longer parses, and its records are lost.
 */
import { basename } from 'node:path';
import type { AnyValue, SnapshotScope } from 'ttlog';
import type { SnapshotSource, ViewRecord } from './sources.ts';
import { terminalSafeJson, valueText } from './values.ts';

/** Records per request line at most: large enough to share resource and scope, small enough to stream. */
export const OTLP_BATCH_RECORDS = 512;
/**
 * Bytes per line at most, its line break included: the otlpjsonfile receiver's default
 * `max_log_size` (1MiB, its scanner's largest buffer, which must hold the line and its `\n`).
 */
export const OTLP_MAX_LINE_BYTES = 1024 * 1024;
/** Resource attributes that tell one snapshot's output from another's (docs/handoff.md, "Files the Collector can ingest"). */
const SNAPSHOT_RING_ATTRIBUTE = 'ttlog.snapshot.ring';
const SNAPSHOT_FILE_ATTRIBUTE = 'ttlog.snapshot.file';

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

/** Limits of one request line. */
export interface OtlpLineLimits {
  /** Records per line (default {@link OTLP_BATCH_RECORDS}). */
  readonly records?: number;
  /** UTF-8 bytes per line with its line break (default {@link OTLP_MAX_LINE_BYTES}). */
  readonly bytes?: number;
}

/** A serialized piece and its UTF-8 size. */
interface Piece {
  readonly json: string;
  readonly bytes: number;
}

/**
 * What goes around a group, and the bytes of both together: a resource's `ResourceLogs` around
 * its scopes (`{"resource":…,"scopeLogs":[` … `]}`), a scope's `ScopeLogs` around its records
 * (`{"scope":…,"logRecords":[` … `]}`, with its schema URL before the last brace).
 */
interface Frame {
  readonly open: string;
  readonly close: string;
  readonly bytes: number;
}

const REQUEST_OPEN = '{"resourceLogs":[';
const REQUEST_CLOSE = ']}';

/** The request being filled: records grouped by file (resource) and then by scope, in first-seen order. */
class PendingRequest {
  readonly resources = new Map<Frame, Map<Frame, string[]>>();
  bytes = REQUEST_OPEN.length + REQUEST_CLOSE.length;
  records = 0;

  /** The bytes `record` adds (with a comma before it, and its resource's and scope's frames where they are new). */
  cost(resource: Frame, scope: Frame, record: number): number {
    const scopes = this.resources.get(resource);
    if (scopes === undefined) return (this.resources.size > 0 ? 1 : 0) + resource.bytes + scope.bytes + record;
    const records = scopes.get(scope);
    if (records === undefined) return (scopes.size > 0 ? 1 : 0) + scope.bytes + record;
    return 1 + record;
  }

  add(resource: Frame, scope: Frame, record: Piece): void {
    this.bytes += this.cost(resource, scope, record.bytes);
    this.records++;
    let scopes = this.resources.get(resource);
    if (scopes === undefined) {
      scopes = new Map();
      this.resources.set(resource, scopes);
    }
    let records = scopes.get(scope);
    if (records === undefined) {
      records = [];
      scopes.set(scope, records);
    }
    records.push(record.json);
  }

  /** The request as one line (no line break): what `JSON.stringify` gives for the nested objects. */
  line(): string {
    let line = REQUEST_OPEN;
    let firstResource = true;
    for (const [resource, scopes] of this.resources) {
      line += (firstResource ? '' : ',') + resource.open;
      firstResource = false;
      let firstScope = true;
      for (const [scope, records] of scopes) {
        line += (firstScope ? '' : ',') + scope.open + records.join(',') + scope.close;
        firstScope = false;
      }
      line += resource.close;
    }
    return line + REQUEST_CLOSE;
  }
}

/**
 * Turns records into request lines within the limits. A record too large for a line of its own
 * keeps everything but its body, which is cut to fit and marked ({@link cutBody}), and, if that is
 * not enough, its attributes, which then count in its `droppedAttributesCount`.
 */
export class OtlpEncoder {
  private readonly resources = new Map<SnapshotSource, Frame>();
  private readonly scopes = new Map<string, Frame>();
  private readonly maxRecords: number;
  /** Bytes of a line without its line break. */
  private readonly maxBytes: number;
  private pending = new PendingRequest();
  /** Records whose body (and perhaps attributes) were cut to fit a line. */
  cutRecords = 0;
  /** Lines over the limit even so: a resource or scope larger than a line. */
  oversizedLines = 0;

  constructor(limits: OtlpLineLimits = {}) {
    this.maxRecords = limits.records ?? OTLP_BATCH_RECORDS;
    this.maxBytes = (limits.bytes ?? OTLP_MAX_LINE_BYTES) - 1;
  }

  /** Adds a record; returns the line it completed, if the record did not fit in it. */
  add({ record, source }: ViewRecord): string | undefined {
    const resource = this.resource(source);
    const scope = this.scope(source, record.scope);
    let piece = recordPiece(
      record,
      record.body === undefined ? undefined : otlpValue(record.body),
      otlpAttributes(record.attributes),
      record.droppedAttributesCount,
    );
    let line: string | undefined;
    if (this.pending.records >= this.maxRecords || this.pending.bytes + this.pending.cost(resource, scope, piece.bytes) > this.maxBytes) {
      if (this.pending.records > 0) {
        line = this.end();
      }
      const room = this.maxBytes - this.pending.bytes - this.pending.cost(resource, scope, 0);
      if (piece.bytes > room) {
        piece = cutBody(record, room);
        this.cutRecords++;
        if (piece.bytes > room) this.oversizedLines++;
      }
    }
    this.pending.add(resource, scope, piece);
    return line;
  }

  /** The line of the records added since the last line; `undefined` when there are none. */
  end(): string | undefined {
    if (this.pending.records === 0) return undefined;
    const line = this.pending.line();
    this.pending = new PendingRequest();
    return line;
  }

  private resource(source: SnapshotSource): Frame {
    let frame = this.resources.get(source);
    if (frame === undefined) {
      frame = frameOf(
        `{"resource":${JSON.stringify({ attributes: otlpAttributes(resourceAttributes(source)), droppedAttributesCount: 0 })},"scopeLogs":[`,
        ']}',
      );
      this.resources.set(source, frame);
    }
    return frame;
  }

  /** Scopes are one per file, name, version, schema URL and attributes. */
  private scope(source: SnapshotSource, scope: SnapshotScope): Frame {
    const key = `${source.index}\u0000${scope.name}\u0000${scope.version ?? ''}\u0000${scope.schemaUrl ?? ''}\u0000${JSON.stringify(scope.attributes ?? {}, (_, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value))}`;
    let frame = this.scopes.get(key);
    if (frame === undefined) {
      const attributes = scope.attributes === undefined ? [] : otlpAttributes(scope.attributes);
      const otlpScope = { name: scope.name, version: scope.version, ...(attributes.length > 0 ? { attributes, droppedAttributesCount: 0 } : {}) };
      const schemaUrl = scope.schemaUrl === undefined ? '' : `,"schemaUrl":${JSON.stringify(scope.schemaUrl)}`;
      frame = frameOf(`{"scope":${JSON.stringify(otlpScope)},"logRecords":[`, `]${schemaUrl}}`);
      this.scopes.set(key, frame);
    }
    return frame;
  }
}

/**
 * The snapshot's resource, led by its ring and file name: the receiver tells files apart by their
 * first bytes (`fingerprint_size`, 1000 by default), and two snapshots of one service often share
 * every resource attribute; these two are what differ, so they come first.
 */
function resourceAttributes(source: SnapshotSource): Record<string, AnyValue> {
  const identity = {
    ...(source.metadata.ring === undefined ? {} : { [SNAPSHOT_RING_ATTRIBUTE]: source.metadata.ring }),
    [SNAPSHOT_FILE_ATTRIBUTE]: basename(source.path),
  };
  // Spread, not assignment: an attribute key `__proto__` stays a key. The identity is spread again to win over a resource's own.
  const attributes: Record<string, AnyValue> = { ...identity, ...source.metadata.resource, ...identity };
  // A snapshot always knows its service; the resource may not have said it.
  if (attributes['service.name'] === undefined && source.metadata.service !== '') attributes['service.name'] = source.metadata.service;
  return attributes;
}

function frameOf(open: string, close: string): Frame {
  const safeOpen = terminalSafeJson(open);
  const safeClose = terminalSafeJson(close);
  return { open: safeOpen, close: safeClose, bytes: Buffer.byteLength(safeOpen) + Buffer.byteLength(safeClose) };
}

function recordPiece(record: ViewRecord['record'], body: OtlpValue | undefined, attributes: OtlpKeyValue[], droppedAttributesCount: number): Piece {
  // Field order as the transformer writes it; undefined fields are left out by JSON.stringify.
  const json = terminalSafeJson(
    JSON.stringify({
      timeUnixNano: String(record.timestamp),
      observedTimeUnixNano: String(record.observedTimestamp),
      severityNumber: record.severityNumber === 0 ? undefined : record.severityNumber,
      severityText: record.severityText,
      body,
      eventName: record.eventName,
      attributes,
      droppedAttributesCount,
      ...(record.traceId !== undefined && record.spanId !== undefined ? { flags: record.traceFlags ?? 0, traceId: record.traceId, spanId: record.spanId } : {}),
    }),
  );
  return { json, bytes: Buffer.byteLength(json) };
}

/**
 * `record` in at most `room` bytes where its own fields allow: its body becomes a string (a
 * string body as it was, any other as its one-line text), cut where the record still fits, and
 * ends in a marker that says how large it was. If even an empty body does not fit, its attributes
 * go too and count as dropped.
 */
function cutBody(record: ViewRecord['record'], room: number): Piece {
  const text = typeof record.body === 'string' ? record.body : record.body === undefined ? '' : valueText(record.body);
  const marker = `… [cut by ttlog-view from ${Buffer.byteLength(text)} bytes to fit one OTLP line]`;
  let attributes = otlpAttributes(record.attributes);
  let dropped = record.droppedAttributesCount;
  const withBody = (kept: number) => recordPiece(record, { stringValue: text.slice(0, kept) + marker }, attributes, dropped);
  if (withBody(0).bytes > room) {
    dropped += attributes.length;
    attributes = [];
  }
  // The longest prefix that fits, by binary search: the size grows with the prefix, except that a
  // prefix ending inside a surrogate pair is larger than the whole pair (JSON.stringify writes a
  // lone surrogate as a six-byte escape, the pair as four bytes), so a prefix that fits never
  // ends inside one.
  let fits = 0;
  let tooLong = text.length + 1;
  while (tooLong - fits > 1) {
    const middle = (fits + tooLong) >>> 1;
    if (withBody(middle).bytes <= room) fits = middle;
    else tooLong = middle;
  }
  return withBody(fits);
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
