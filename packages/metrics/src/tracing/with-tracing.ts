import type { Envelope } from '@agentbus/schema';
import type { DeliveryContext, Handler, PubSub, SubscriptionHandler, Transport } from '@agentbus/transport';
import {
  context as otelContext,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { rememberHandleSpan } from './handle-spans';
import { recordFailure } from './record-failure';
import { ATTR, deliveryAttributes, messageAttributes } from './messaging-attributes';
import { contextFromTraceparent, formatTraceparent } from './traceparent';
import { DEFAULT_TRACING_OPTIONS, tracerOf, type TracingOptions } from './tracing-options';

/** Runs `fn` and ends `span` when its promise settles (or it throws), failed on an error; passes the outcome on. */
function endAfter<T>(span: Span, fn: () => Promise<T>): Promise<T> {
  let promise: Promise<T>;
  try {
    promise = fn();
  } catch (error) {
    recordFailure(span, error);
    span.end();
    throw error;
  }
  return promise.then(
    (value) => {
      span.end();
      return value;
    },
    (error: unknown) => {
      recordFailure(span, error);
      span.end();
      throw error;
    },
  );
}

/**
 * The producer span's parent: the caller's active span when there is one (a handler publishing
 * its next hop), else the trace the envelope already carries (a replay, a reply made with
 * createReply), else a new trace.
 */
function producerParent(env: Envelope): Context {
  const active = otelContext.active();
  const sc = trace.getSpanContext(active);
  if (sc && isSpanContextValid(sc)) return active;
  return contextFromTraceparent(env.traceparent, active);
}

/**
 * `env` with `span` as its traceparent: a copy, never the caller's object. A signed envelope is
 * left as it is, since its traceparent is covered by the signature (inject before signing).
 */
function stamp<E extends Envelope>(env: E, span: Span): E {
  const sc = span.spanContext();
  if (env.sig !== undefined || !isSpanContextValid(sc)) return env;
  const tp = formatTraceparent(sc);
  return tp === env.traceparent ? env : { ...env, traceparent: tp };
}

/**
 * A Transport whose publishes start a PRODUCER span and write its W3C traceparent into the
 * envelope (a copy), and whose consumers run each handler in a CONSUMER span that continues the
 * envelope's trace, so one trace runs producer -> Redis -> worker -> next hop. Everything else is
 * the wrapped transport's own (reached through the prototype, so members added later pass
 * through). Without an OpenTelemetry SDK registered the spans are no-ops and envelopes are not
 * copied.
 */
export function withTracing<T extends Transport>(transport: T, options: TracingOptions = {}): T {
  const tracer: Tracer = tracerOf(options);
  const system = transport.backend;

  function startProducer(destination: string, env: Envelope, parent: Context): Span {
    const span = tracer.startSpan(`publish ${destination}`, { kind: SpanKind.PRODUCER }, parent);
    if (span.isRecording()) span.setAttributes(messageAttributes(system, 'publish', 'send', destination, env));
    return span;
  }

  const publish: Transport['publish'] = (topic, env, o) => {
    const parent = producerParent(env);
    const span = startProducer(topic, env, parent);
    const stamped = stamp(env, span);
    return endAfter(span, () => otelContext.with(trace.setSpan(parent, span), () => transport.publish(topic, stamped, o)));
  };

  const publishBatch: Transport['publishBatch'] = (topic, envs, o) => {
    const active = otelContext.active();
    const sc = trace.getSpanContext(active);
    if (sc && isSpanContextValid(sc)) {
      // Inside a span (a handler fanning out): one send span for the batch, every envelope its child.
      const span = tracer.startSpan(`publish ${topic}`, { kind: SpanKind.PRODUCER }, active);
      if (span.isRecording()) {
        span.setAttributes({
          [ATTR.system]: system,
          [ATTR.operationType]: 'send',
          [ATTR.operationName]: 'publish',
          [ATTR.destination]: topic,
          [ATTR.batchCount]: envs.length,
        });
      }
      const stamped = envs.map((env) => stamp(env, span));
      return endAfter(span, () => otelContext.with(trace.setSpan(active, span), () => transport.publishBatch(topic, stamped, o)));
    }
    // No caller span: each envelope continues its own trace (or starts one), as a single publish would.
    const spans = envs.map((env) => startProducer(topic, env, contextFromTraceparent(env.traceparent, active)));
    const stamped = envs.map((env, i) => stamp(env, spans[i]!));
    const failAll = (error: unknown): never => {
      for (const s of spans) {
        recordFailure(s, error);
        s.end();
      }
      throw error;
    };
    let pending: ReturnType<Transport['publishBatch']>;
    try {
      pending = transport.publishBatch(topic, stamped, o);
    } catch (error) {
      return failAll(error);
    }
    return pending.then((results) => {
      for (const s of spans) s.end();
      return results;
    }, failAll);
  };

  const consume: Transport['consume'] = (topic, handler, o) => {
    const traced: Handler = (env: Envelope, ctx: DeliveryContext) => {
      // The parent is the producer's span from the envelope, never what was active when consume
      // was called: each delivery belongs to the trace of its message.
      const parent = contextFromTraceparent(env.traceparent, ROOT_CONTEXT);
      const span = tracer.startSpan(`process ${topic}`, { kind: SpanKind.CONSUMER }, parent);
      if (span.isRecording()) span.setAttributes(deliveryAttributes(system, env, ctx));
      let result: void | Promise<void>;
      try {
        result = otelContext.with(trace.setSpan(parent, span), handler, undefined, env, ctx);
      } catch (error) {
        failed(span, env, error);
        throw error;
      }
      // A synchronous handler stays synchronous: the transport settles it without a promise.
      if (result && typeof (result as Promise<void>).then === 'function') {
        return (result as Promise<void>).then(
          () => span.end(),
          (error: unknown) => {
            failed(span, env, error);
            throw error;
          },
        );
      }
      span.end();
      return result;
    };
    return transport.consume(topic, traced, o);
  };

  function failed(span: Span, env: Envelope, error: unknown): void {
    recordFailure(span, error);
    rememberHandleSpan(env, span);
    span.end();
  }

  const overrides: PropertyDescriptorMap = {
    publish: { value: publish, enumerable: true },
    publishBatch: { value: publishBatch, enumerable: true },
    consume: { value: consume, enumerable: true },
  };
  if (options.pubsub ?? DEFAULT_TRACING_OPTIONS.pubsub) {
    overrides.pubsub = { value: tracePubSub(transport.pubsub, tracer, system, startProducer), enumerable: true };
  }
  return Object.create(transport, overrides) as T;
}

function tracePubSub(
  pubsub: PubSub,
  tracer: Tracer,
  system: string,
  startProducer: (destination: string, env: Envelope, parent: Context) => Span,
): PubSub {
  const wrap =
    (name: string, handler: SubscriptionHandler): SubscriptionHandler =>
    (env, channel) => {
      const parent = contextFromTraceparent(env.traceparent, ROOT_CONTEXT);
      const span = tracer.startSpan(`process ${name}`, { kind: SpanKind.CONSUMER }, parent);
      if (span.isRecording()) span.setAttributes(messageAttributes(system, 'process', 'process', channel, env));
      try {
        otelContext.with(trace.setSpan(parent, span), handler, undefined, env, channel);
      } catch (error) {
        recordFailure(span, error);
        throw error;
      } finally {
        span.end();
      }
    };
  return Object.create(pubsub, {
    publish: {
      enumerable: true,
      value: (channel: string, env: Envelope) => {
        const parent = producerParent(env);
        const span = startProducer(channel, env, parent);
        const stamped = stamp(env, span);
        return endAfter(span, () => otelContext.with(trace.setSpan(parent, span), () => pubsub.publish(channel, stamped)));
      },
    },
    subscribe: {
      enumerable: true,
      value: (channel: string, handler: SubscriptionHandler, o?: Parameters<PubSub['subscribe']>[2]) =>
        pubsub.subscribe(channel, wrap(channel, handler), o),
    },
    psubscribe: {
      enumerable: true,
      value: (pattern: string, handler: SubscriptionHandler, o?: Parameters<PubSub['psubscribe']>[2]) =>
        pubsub.psubscribe(pattern, wrap(pattern, handler), o),
    },
  }) as PubSub;
}
