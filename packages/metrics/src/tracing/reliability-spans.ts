import type { Rejection } from '@agentbus/transport';
import { context as otelContext, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context } from '@opentelemetry/api';
import type { ReliabilityHooksLike } from '../reliability-metrics-hooks';
import { handleSpanOf } from './handle-spans';
import { ATTR, messageAttributes } from './messaging-attributes';
import { contextFromTraceparent } from './traceparent';
import { tracerOf, type TracingOptions } from './tracing-options';

/**
 * Reliability hooks that record a `retry <topic>` span per scheduled retry and a failed
 * `dead_letter <topic>` span per dead letter. Reliability calls them after the fact, so each is a
 * short span at that moment, a child of the failed handle span when `withTracing` traced it in
 * this process, else of the producer span the envelope names: either way in the message's trace.
 * Combine with the metrics hooks via `combineHooks`. A dead letter dropped by the cap belongs to
 * no message's trace, so there is no span for it: the metrics hooks count it.
 */
export function tracingReliabilityHooks(options: TracingOptions = {}): Required<Omit<ReliabilityHooksLike, 'onDeadLetterDropped'>> {
  const tracer = tracerOf(options);

  function parentOf(r: Rejection): Context {
    const handled = handleSpanOf(r.envelope);
    if (handled) return trace.setSpanContext(ROOT_CONTEXT, handled);
    return contextFromTraceparent(r.envelope?.traceparent, ROOT_CONTEXT);
  }

  function attributesOf(operation: string, r: Rejection) {
    const a = r.envelope
      ? messageAttributes(undefined, operation, 'settle', r.topic, r.envelope)
      : { [ATTR.operationName]: operation, [ATTR.operationType]: 'settle', [ATTR.destination]: r.topic };
    a[ATTR.group] = r.group;
    a[ATTR.streamId] = r.streamId;
    a[ATTR.attempt] = r.attempt;
    return a;
  }

  return {
    onRetry(topic, attempt, delayMs, r) {
      const span = tracer.startSpan(`retry ${topic}`, { kind: SpanKind.INTERNAL }, parentOf(r));
      if (span.isRecording()) {
        span.setAttributes(attributesOf('retry', r));
        span.setAttribute(ATTR.attempt, attempt);
        span.setAttribute(ATTR.retryDelayMs, delayMs);
        span.addEvent('handler failed', { 'exception.message': r.error.message });
      }
      span.end();
    },
    onDeadLetter(topic, reason, r) {
      const span = tracer.startSpan(`dead_letter ${topic}`, { kind: SpanKind.INTERNAL }, parentOf(r));
      if (span.isRecording()) {
        span.setAttributes(attributesOf('dead_letter', r));
        span.setAttribute(ATTR.deadLetterReason, reason);
        span.recordException(r.error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: `${reason}: ${r.error.message}` });
      }
      span.end();
    },
    onReplay(topic, count) {
      // A replay is an operator's act: it belongs to whatever span runs it (a CLI or HTTP request).
      const span = tracer.startSpan(`replay ${topic}`, { kind: SpanKind.INTERNAL }, otelContext.active());
      if (span.isRecording()) {
        span.setAttributes({ [ATTR.destination]: topic, [ATTR.operationName]: 'replay', [ATTR.replayed]: count });
      }
      span.end();
    },
  };
}
