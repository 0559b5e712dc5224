import type { Envelope } from '@agentbus/schema';
import { isSpanContextValid, type Span, type SpanContext } from '@opentelemetry/api';

// The transport hands the same envelope object to the handler and, when it fails, to the
// rejection that reliability's hooks see: keyed by it, the retry and dead-letter spans become
// children of the failed handle span. Weak, so nothing outlives the message.
const handleSpans = new WeakMap<Envelope, SpanContext>();

export function rememberHandleSpan(env: Envelope, span: Span): void {
  const sc = span.spanContext();
  if (isSpanContextValid(sc)) handleSpans.set(env, sc);
}

/** The span context of the failed handling of `env`, if this process traced one. */
export function handleSpanOf(env: Envelope | undefined): SpanContext | undefined {
  return env === undefined ? undefined : handleSpans.get(env);
}
