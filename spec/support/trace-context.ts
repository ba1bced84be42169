import { otel } from './otel.ts';

/** The active context with a span context of these ids, as a span in progress would set it (sampled unless told). */
export function inTrace(traceId: string, spanId: string, traceFlags: number = otel.TraceFlags.SAMPLED) {
  return otel.trace.setSpanContext(otel.context.active(), { traceId, spanId, traceFlags });
}
