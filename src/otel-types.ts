/**
 * The parts of the OpenTelemetry logs SDK that ttlog reads, written structurally so that one
 * build works with both SDK lines: `@opentelemetry/sdk-logs` 0.2xx (with `@opentelemetry/api-logs`)
 * and 3.x (logs API inside `@opentelemetry/api` 1.10). Their record shapes are the same; only the
 * packages the types come from differ.
 */

/** An OpenTelemetry AnyValue, plus bigint, which ttlog keeps losslessly. */
export type AnyValue = string | number | boolean | bigint | Uint8Array | AnyValue[] | { [key: string]: AnyValue } | null | undefined;

/** A time as OpenTelemetry keeps it: seconds and nanoseconds since the epoch. */
export type HrTime = readonly [seconds: number, nanoseconds: number];

/** The span context fields ttlog reads from a log record. */
export interface SpanContextLike {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
}

/** The instrumentation scope fields ttlog reads from a log record. */
export interface InstrumentationScopeLike {
  readonly name: string;
  readonly version?: string | undefined;
  readonly schemaUrl?: string | undefined;
  readonly attributes?: Readonly<Record<string, unknown>> | undefined;
}

/** The resource fields ttlog reads from a log record. */
export interface ResourceLike {
  readonly attributes: Readonly<Record<string, unknown>>;
  /** Resolves once attributes from async resource detectors are in (both SDK lines have it). */
  waitForAsyncAttributes?(): Promise<void>;
}

/** What `LogRecordProcessor.onEmit` receives and `LogRecordExporter.export` is given. */
export interface LogRecordLike {
  readonly hrTime: HrTime;
  readonly hrTimeObserved: HrTime;
  readonly spanContext?: SpanContextLike | undefined;
  readonly severityText?: string | undefined;
  readonly severityNumber?: number | undefined;
  readonly body?: unknown;
  readonly eventName?: string | undefined;
  readonly resource?: ResourceLike | undefined;
  readonly instrumentationScope: InstrumentationScopeLike;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly droppedAttributesCount: number;
}

/** `ExportResult` of `@opentelemetry/core`: code 0 is success, 1 failure. */
export interface ExportResultLike {
  code: 0 | 1;
  error?: Error;
}

/**
 * A log record as a `LogRecordExporter` is given it (`ReadableLogRecord` of the SDK): what the
 * hand-off rebuilds from the ring or a snapshot file. OTLP serializers group records by the
 * identity of `resource` and `instrumentationScope`, so records of one hand-off share them.
 */
export interface ReadableLogRecordLike extends LogRecordLike {
  readonly resource: ResourceLike & { readonly schemaUrl?: string | undefined };
  readonly instrumentationScope: InstrumentationScopeLike & { readonly droppedAttributesCount?: number };
}

/**
 * An OpenTelemetry `LogRecordExporter` (`OTLPLogExporter` of `@opentelemetry/exporter-logs-otlp-*`,
 * or any other), as the hand-off calls it: ttlog depends on no exporter package.
 */
export interface LogRecordExporterLike {
  export(records: ReadableLogRecordLike[], resultCallback: (result: ExportResultLike) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}
