// The 0.2xx line, from the project's own node_modules.
export { context, DiagLogLevel, diag, metrics, TraceFlags, trace } from '@opentelemetry/api';
export { logs } from '@opentelemetry/api-logs';
export { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
export { OTLPLogExporter as OTLPProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
export { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
export { resourceFromAttributes } from '@opentelemetry/resources';
export * from '@opentelemetry/sdk-logs';
export { AggregationTemporality, InMemoryMetricExporter, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
export { NodeSDK } from '@opentelemetry/sdk-node';
export const line = '0.2xx';
