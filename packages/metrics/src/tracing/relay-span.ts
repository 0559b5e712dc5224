import { context as otelContext, SpanKind, trace, type Attributes, type Span } from '@opentelemetry/api';
import { ATTR } from './messaging-attributes';
import { contextFromTraceparent } from './traceparent';
import { tracerOf, type TracingOptions } from './tracing-options';
import { recordFailure } from './record-failure';

export interface RelaySpanOptions extends TracingOptions {
  /** The topic the row is relayed to. */
  topic: string;
  /**
   * The traceparent stored with the outbox row by whoever wrote it, so the relay continues that
   * trace. Default: the active context (a new trace when there is none).
   */
  traceparent?: string;
  /** Where the row came from, e.g. the outbox table. Default none. */
  source?: string;
  /** More span attributes. Default none. */
  attributes?: Attributes;
}

/**
 * Runs one relay step (an outbox row -> its publish on Redis) in a `relay <topic>` CONSUMER span,
 * ended when `fn` settles and failed when it throws. Publish through a `withTracing` transport
 * inside `fn` and the envelope carries the trace on: PostgreSQL commit -> relay -> Redis -> L2.
 */
export async function traceRelay<T>(options: RelaySpanOptions, fn: (span: Span) => Promise<T> | T): Promise<T> {
  const tracer = tracerOf(options);
  const parent = contextFromTraceparent(options.traceparent, otelContext.active());
  const span = tracer.startSpan(`relay ${options.topic}`, { kind: SpanKind.CONSUMER }, parent);
  if (span.isRecording()) {
    span.setAttributes({
      [ATTR.operationType]: 'process',
      [ATTR.operationName]: 'relay',
      [ATTR.destination]: options.topic,
      ...(options.source !== undefined ? { [ATTR.relaySource]: options.source } : {}),
      ...options.attributes,
    });
  }
  try {
    return await otelContext.with(trace.setSpan(parent, span), () => fn(span));
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}
