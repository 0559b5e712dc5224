import { describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { createEnvelope } from '@agentbus/schema';
import { contextFromTraceparent, currentTraceparent, formatTraceparent, injectTraceparent, parseTraceparent } from './traceparent';

const TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('traceparent', () => {
  it('parses and formats W3C traceparent, the sampled flag kept', () => {
    const sc = parseTraceparent(TP)!;
    expect(sc).toEqual({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true });
    expect(formatTraceparent(sc)).toBe(TP);
    expect(formatTraceparent({ ...sc, traceFlags: TraceFlags.NONE })).toBe(TP.replace(/01$/, '00'));
    // Other flag bits are not carried: only "sampled" is defined.
    expect(parseTraceparent(TP.replace(/01$/, '03'))!.traceFlags).toBe(TraceFlags.SAMPLED);
  });

  it('refuses malformed, all-zero and version ff; reads a future version by its first four fields', () => {
    for (const bad of [
      '',
      'nonsense',
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331',
      '00-00000000000000000000000000000000-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01',
      'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      `${TP}-extra`,
      TP.toUpperCase(),
    ]) {
      expect(parseTraceparent(bad), bad).toBeUndefined();
    }
    expect(parseTraceparent(`cc${TP.slice(2)}-future`)?.spanId).toBe('b7ad6b7169203331');
  });

  it('contextFromTraceparent sets the remote parent, or gives the base back', () => {
    const ctx = contextFromTraceparent(TP);
    expect(trace.getSpanContext(ctx)?.spanId).toBe('b7ad6b7169203331');
    expect(contextFromTraceparent(undefined)).toBe(ROOT_CONTEXT);
    expect(contextFromTraceparent('bad')).toBe(ROOT_CONTEXT);
  });

  it('currentTraceparent / injectTraceparent outside any span change nothing', () => {
    const env = createEnvelope({ type: 't', from: 'a', payload: 1 });
    expect(currentTraceparent()).toBeUndefined();
    expect(injectTraceparent(env)).toBe(env);
    const ctx = contextFromTraceparent(TP);
    expect(currentTraceparent(ctx)).toBe(TP);
    const stamped = injectTraceparent(env, ctx);
    expect(stamped).not.toBe(env);
    expect(stamped.traceparent).toBe(TP);
    expect(env.traceparent).toBeUndefined();
    expect(injectTraceparent(stamped, ctx)).toBe(stamped);
  });
});
