// The 0.2xx line, from the project's own node_modules.
export * from '@opentelemetry/sdk-logs';
export { resourceFromAttributes } from '@opentelemetry/resources';
export { NodeSDK } from '@opentelemetry/sdk-node';
export { context, diag, DiagLogLevel, trace, TraceFlags } from '@opentelemetry/api';
export { logs } from '@opentelemetry/api-logs';
export const line = '0.2xx';
