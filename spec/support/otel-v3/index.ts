// Resolved from this folder, so these imports find the 3.x line installed here.
export * from '@opentelemetry/sdk-logs';
export { resourceFromAttributes } from '@opentelemetry/resources';
export { NodeSDK } from '@opentelemetry/sdk-node';
export { context, diag, DiagLogLevel, logs, trace, TraceFlags } from '@opentelemetry/api';
export const line = '3.x';
