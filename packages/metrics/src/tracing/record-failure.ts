import { SpanStatusCode, type Span } from '@opentelemetry/api';

/** Marks a span failed with the error (an exception event and status ERROR); the caller ends it. */
export function recordFailure(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  const e = error instanceof Error ? error : new Error(String(error));
  span.recordException(e);
  span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
}
