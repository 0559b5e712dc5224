import type { Envelope } from '@agentbus/schema';
import {
  context as otelContext,
  isSpanContextValid,
  ROOT_CONTEXT,
  trace,
  TraceFlags,
  type Context,
  type SpanContext,
} from '@opentelemetry/api';

// The envelope carries only `traceparent` (no tracestate), version 00: exactly what W3C Trace
// Context level 1 defines; a future version is read by its first four fields, as the spec asks.
const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** The span context a W3C `traceparent` names, or undefined when it is malformed or all-zero. */
export function parseTraceparent(traceparent: string): SpanContext | undefined {
  const m = TRACEPARENT_RE.exec(traceparent);
  if (!m || m[1] === 'ff' || (m[1] === '00' && m[5] !== undefined)) return undefined;
  const sc: SpanContext = {
    traceId: m[2]!,
    spanId: m[3]!,
    traceFlags: parseInt(m[4]!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  return isSpanContextValid(sc) ? sc : undefined;
}

/** `00-<trace id>-<span id>-<flags>`. */
export function formatTraceparent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-0${(sc.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
}

/** `base` (default: the root context) with the remote span a traceparent names as its parent; `base` when there is none. */
export function contextFromTraceparent(traceparent: string | undefined, base: Context = ROOT_CONTEXT): Context {
  const sc = traceparent === undefined ? undefined : parseTraceparent(traceparent);
  return sc ? trace.setSpanContext(base, sc) : base;
}

/** The traceparent of the span active in `ctx` (default: now), or undefined outside any valid span. */
export function currentTraceparent(ctx: Context = otelContext.active()): string | undefined {
  const sc = trace.getSpanContext(ctx);
  return sc && isSpanContextValid(sc) ? formatTraceparent(sc) : undefined;
}

/**
 * A copy of `env` carrying the active span's traceparent, for a next hop published without
 * `withTracing` (e.g. `injectTraceparent(createReply(req, {...}))`), or signed before publishing:
 * sign after this. `env` itself when there is no active span, or when `env` is signed (its
 * traceparent is covered by the signature).
 */
export function injectTraceparent<E extends Envelope>(env: E, ctx: Context = otelContext.active()): E {
  const tp = currentTraceparent(ctx);
  if (tp === undefined || tp === env.traceparent || env.sig !== undefined) return env;
  return { ...env, traceparent: tp };
}
