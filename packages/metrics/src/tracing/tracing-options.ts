import { trace, type Tracer } from '@opentelemetry/api';

export interface TracingOptions {
  /**
   * The tracer spans are made with. Default: `trace.getTracer(tracerName)` of the global provider,
   * which is a no-op (nothing recorded, nothing written into envelopes) until the app registers an
   * OpenTelemetry SDK.
   */
  tracer?: Tracer;
  /** Name of the default tracer (the instrumentation scope). Default `@agentbus/metrics`. */
  tracerName?: string;
  /** Also trace Pub/Sub: `pubsub.publish` writes the traceparent, subscriptions continue it. Default true. */
  pubsub?: boolean;
}

export const DEFAULT_TRACING_OPTIONS = {
  tracerName: '@agentbus/metrics',
  pubsub: true,
} as const satisfies TracingOptions;

export function tracerOf(options: TracingOptions): Tracer {
  return options.tracer ?? trace.getTracer(options.tracerName ?? DEFAULT_TRACING_OPTIONS.tracerName);
}
