// Resolved from this folder, so these imports find the 3.x line installed here.
export { context, DiagLogLevel, diag, logs, metrics, TraceFlags, trace } from '@opentelemetry/api';
export { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
export { OTLPLogExporter as OTLPProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
export { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
export { resourceFromAttributes } from '@opentelemetry/resources';
export * from '@opentelemetry/sdk-logs';
export { AggregationTemporality, InMemoryMetricExporter, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
export { NodeSDK } from '@opentelemetry/sdk-node';
export const line = '3.x';
