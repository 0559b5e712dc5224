import { context as otelContext, isSpanContextValid, trace, type Context } from '@opentelemetry/api';

/** Trace ids for a structured log line, named as OpenTelemetry's log data model and pino's instrumentation name them. */
export interface TraceLogFields {
  trace_id: string;
  span_id: string;
  trace_flags: string;
}

/**
 * The active span's ids for a log line, or `{}` outside a span: e.g. pino's
 * `mixin: () => traceLogFields()`, so logs and traces join on trace_id.
 */
export function traceLogFields(ctx: Context = otelContext.active()): TraceLogFields | Record<string, never> {
  const sc = trace.getSpanContext(ctx);
  if (!sc || !isSpanContextValid(sc)) return {};
  return { trace_id: sc.traceId, span_id: sc.spanId, trace_flags: `0${sc.traceFlags.toString(16)}` };
}
