/**
 * A local OTLP/HTTP logs receiver for the hand-off specs: listens on 127.0.0.1, decodes what
 * arrives at /v1/logs (http/json with JSON.parse, http/protobuf with protobufjs and the OTLP
 * messages below) and keeps it as plain records, the same shape for both encodings. It can answer
 * with HTTP 500, or late.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import protobuf from 'protobufjs';

/** A log record as it arrived, with the resource and scope it was grouped under. */
export interface ReceivedRecord {
  readonly resource: Record<string, unknown>;
  readonly scope: { name: string; version?: string; schemaUrl?: string; attributes?: Record<string, unknown> };
  readonly timeUnixNano: bigint;
  readonly observedTimeUnixNano: bigint;
  readonly severityNumber: number;
  readonly severityText?: string;
  readonly body: unknown;
  readonly attributes: Record<string, unknown>;
  readonly eventName?: string;
  readonly traceId?: string;
  readonly spanId?: string;
  readonly flags?: number;
  readonly droppedAttributesCount: number;
}

/** One request: how its records were grouped, and the records. */
export interface ReceivedRequest {
  readonly contentType: string;
  readonly resourceLogs: number;
  readonly scopeLogs: number;
  readonly records: ReceivedRecord[];
  /** When it arrived (performance.now()). */
  readonly at: number;
}

export interface ReceiverBehaviour {
  /** Answer 500 instead of 200. */
  fail?: boolean;
  /** Wait this long before answering. */
  delayMs?: number;
}

export class OtlpReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Requests that reached the receiver, answered or not. */
  arrived = 0;
  behaviour: ReceiverBehaviour = {};
  private readonly server: Server;
  private readonly waiting: { count: number; resolve: () => void }[] = [];
  private readonly arrivals: { count: number; resolve: () => void }[] = [];

  /** Requests not answered yet (or whose sender went away before their answer). */
  private pending = 0;
  private readonly idlers: (() => void)[] = [];

  private constructor() {
    this.server = createServer((request, response) => {
      this.arrived++;
      this.pending++;
      for (const waiter of this.arrivals.splice(0)) {
        if (this.arrived >= waiter.count) waiter.resolve();
        else this.arrivals.push(waiter);
      }
      void readBody(request)
        .then(async (body) => {
          const contentType = request.headers['content-type'] ?? '';
          const { delayMs, fail } = this.behaviour;
          if (delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, delayMs));
          if (fail) {
            response.writeHead(500).end();
            return;
          }
          this.requests.push({ ...decodeRequest(body, contentType), contentType, at: performance.now() });
          for (const waiter of this.waiting.splice(0)) {
            if (this.records().length >= waiter.count) waiter.resolve();
            else this.waiting.push(waiter);
          }
          response.writeHead(200, { 'content-type': contentType.includes('json') ? 'application/json' : 'application/x-protobuf' });
          response.end(contentType.includes('json') ? '{}' : Buffer.alloc(0));
        })
        // A sender that went away mid-request: nothing arrived.
        .catch(() => undefined)
        .finally(() => {
          this.pending--;
          if (this.pending === 0) for (const resolve of this.idlers.splice(0)) resolve();
        });
    });
  }

  static async start(): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/logs`;
  }

  records(): ReceivedRecord[] {
    return this.requests.flatMap((request) => request.records);
  }

  /** Resolves once at least `count` records have arrived. */
  until(count: number): Promise<void> {
    if (this.records().length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ count, resolve }));
  }

  /** Resolves once at least `count` requests have reached the receiver, answered or not. */
  arrival(count: number): Promise<void> {
    if (this.arrived >= count) return Promise.resolve();
    return new Promise((resolve) => this.arrivals.push({ count, resolve }));
  }

  /** Resolves once every request that arrived is dealt with (kept or not, answered or its sender gone). */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idlers.push(resolve));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => resolve(Buffer.concat(parts)));
    request.on('error', reject);
    // Closed before its end: the sender went away (a no-op once the body has ended).
    request.on('close', () => reject(new Error('the request was aborted')));
  });
}

interface WireKeyValue {
  key: string;
  value?: WireAnyValue;
}
interface WireAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: WireAnyValue[] };
  kvlistValue?: { values?: WireKeyValue[] };
  bytesValue?: string | Uint8Array;
}
interface WireRequest {
  resourceLogs?: {
    resource?: { attributes?: WireKeyValue[] };
    scopeLogs?: {
      scope?: { name?: string; version?: string; attributes?: WireKeyValue[] };
      schemaUrl?: string;
      logRecords?: {
        timeUnixNano?: string | number;
        observedTimeUnixNano?: string | number;
        severityNumber?: number;
        severityText?: string;
        body?: WireAnyValue;
        attributes?: WireKeyValue[];
        eventName?: string;
        traceId?: string | Uint8Array;
        spanId?: string | Uint8Array;
        flags?: number;
        droppedAttributesCount?: number;
      }[];
    }[];
  }[];
}

function decodeRequest(body: Buffer, contentType: string): Omit<ReceivedRequest, 'contentType' | 'at'> {
  const json = contentType.includes('json');
  const wire: WireRequest = json
    ? JSON.parse(body.toString('utf8'))
    : (REQUEST.toObject(REQUEST.decode(body), { longs: String, enums: Number, bytes: Array, defaults: false }) as WireRequest);
  const records: ReceivedRecord[] = [];
  let scopeLogs = 0;
  for (const resourceLogs of wire.resourceLogs ?? []) {
    const resource = attributesOf(resourceLogs.resource?.attributes);
    for (const scoped of resourceLogs.scopeLogs ?? []) {
      scopeLogs++;
      const wireScope = scoped.scope ?? {};
      const scope = {
        name: wireScope.name ?? '',
        ...(wireScope.version ? { version: wireScope.version } : {}),
        ...(scoped.schemaUrl ? { schemaUrl: scoped.schemaUrl } : {}),
        ...(wireScope.attributes?.length ? { attributes: attributesOf(wireScope.attributes) } : {}),
      };
      for (const record of scoped.logRecords ?? []) {
        const traceId = hexOf(record.traceId);
        const spanId = hexOf(record.spanId);
        records.push({
          resource,
          scope,
          timeUnixNano: BigInt(record.timeUnixNano ?? 0),
          observedTimeUnixNano: BigInt(record.observedTimeUnixNano ?? 0),
          severityNumber: record.severityNumber ?? 0,
          ...(record.severityText ? { severityText: record.severityText } : {}),
          body: record.body === undefined ? undefined : anyValue(record.body),
          attributes: attributesOf(record.attributes),
          ...(record.eventName ? { eventName: record.eventName } : {}),
          ...(traceId === undefined ? {} : { traceId }),
          ...(spanId === undefined ? {} : { spanId }),
          ...(record.flags !== undefined ? { flags: record.flags } : {}),
          droppedAttributesCount: record.droppedAttributesCount ?? 0,
        });
      }
    }
  }
  return { resourceLogs: wire.resourceLogs?.length ?? 0, scopeLogs, records };
}

function hexOf(id: string | Uint8Array | number[] | undefined): string | undefined {
  if (id === undefined || id.length === 0) return undefined;
  return typeof id === 'string' ? id : Buffer.from(id).toString('hex');
}

function attributesOf(list: WireKeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) out[key] = value === undefined ? undefined : anyValue(value);
  return out;
}

/** An AnyValue as JS: ints as numbers (they are small here), bytes as Uint8Array, an empty AnyValue as undefined. */
function anyValue(value: WireAnyValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.bytesValue !== undefined)
    return typeof value.bytesValue === 'string' ? new Uint8Array(Buffer.from(value.bytesValue, 'base64')) : new Uint8Array(value.bytesValue);
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map((item) => anyValue(item));
  if (value.kvlistValue !== undefined) return attributesOf(value.kvlistValue.values);
  return undefined;
}

/** The OTLP logs messages the receiver decodes (opentelemetry-proto, logs/v1, common/v1, resource/v1). */
const ROOT = protobuf.Root.fromJSON({
  nested: {
    AnyValue: {
      oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] } },
      fields: {
        stringValue: { type: 'string', id: 1 },
        boolValue: { type: 'bool', id: 2 },
        intValue: { type: 'int64', id: 3 },
        doubleValue: { type: 'double', id: 4 },
        arrayValue: { type: 'ArrayValue', id: 5 },
        kvlistValue: { type: 'KeyValueList', id: 6 },
        bytesValue: { type: 'bytes', id: 7 },
      },
    },
    ArrayValue: { fields: { values: { rule: 'repeated', type: 'AnyValue', id: 1 } } },
    KeyValueList: { fields: { values: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
    KeyValue: { fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } } },
    InstrumentationScope: {
      fields: {
        name: { type: 'string', id: 1 },
        version: { type: 'string', id: 2 },
        attributes: { rule: 'repeated', type: 'KeyValue', id: 3 },
        droppedAttributesCount: { type: 'uint32', id: 4 },
      },
    },
    Resource: { fields: { attributes: { rule: 'repeated', type: 'KeyValue', id: 1 }, droppedAttributesCount: { type: 'uint32', id: 2 } } },
    LogRecord: {
      fields: {
        timeUnixNano: { type: 'fixed64', id: 1 },
        observedTimeUnixNano: { type: 'fixed64', id: 11 },
        severityNumber: { type: 'int32', id: 2 },
        severityText: { type: 'string', id: 3 },
        body: { type: 'AnyValue', id: 5 },
        attributes: { rule: 'repeated', type: 'KeyValue', id: 6 },
        droppedAttributesCount: { type: 'uint32', id: 7 },
        flags: { type: 'fixed32', id: 8 },
        traceId: { type: 'bytes', id: 9 },
        spanId: { type: 'bytes', id: 10 },
        eventName: { type: 'string', id: 12 },
      },
    },
    ScopeLogs: {
      fields: {
        scope: { type: 'InstrumentationScope', id: 1 },
        logRecords: { rule: 'repeated', type: 'LogRecord', id: 2 },
        schemaUrl: { type: 'string', id: 3 },
      },
    },
    ResourceLogs: {
      fields: { resource: { type: 'Resource', id: 1 }, scopeLogs: { rule: 'repeated', type: 'ScopeLogs', id: 2 }, schemaUrl: { type: 'string', id: 3 } },
    },
    ExportLogsServiceRequest: { fields: { resourceLogs: { rule: 'repeated', type: 'ResourceLogs', id: 1 } } },
  },
});
const REQUEST = ROOT.lookupType('ExportLogsServiceRequest');
