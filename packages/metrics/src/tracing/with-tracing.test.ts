import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { createEnvelope, generateSigningKeyPair, signEnvelope, verifyEnvelope, type Envelope } from '@agentbus/schema';
import { createReliability, PermanentError } from '@agentbus/reliability';
import { createMemoryTransport, type Transport } from '@agentbus/transport';
import { startTestTracing, type TestTracing } from '../../test/support/otel';
import { combineHooks } from '../combine-hooks';
import { traceLogFields } from './log-fields';
import { tracingReliabilityHooks } from './reliability-spans';
import { traceRelay } from './relay-span';
import { currentTraceparent, formatTraceparent, injectTraceparent, parseTraceparent } from './traceparent';
import { withTracing } from './with-tracing';

let tracing: TestTracing;
beforeAll(() => {
  tracing = startTestTracing();
});
afterAll(async () => {
  await tracing.stop();
});
beforeEach(() => tracing.exporter.reset());
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

function bus(): Transport {
  const t = withTracing(createMemoryTransport(), { tracer: tracing.tracer });
  open.push(t);
  return t;
}

const env = (n = 1, extra: Partial<Pick<Envelope, 'traceparent' | 'ttlMs' | 'ts'>> = {}) =>
  createEnvelope({ type: 'job', from: 'test', payload: { n }, ...extra });

const idOf = (s: { spanContext(): { spanId: string } }) => s.spanContext().spanId;

describe('withTracing: publish', () => {
  it('without a caller span starts a new trace; the handler runs in a CONSUMER span, child of the PRODUCER span', async () => {
    const t = bus();
    const seen: Array<{ env: Envelope; active: string | undefined }> = [];
    open.push(t.consume('jobs', (e) => void seen.push({ env: e, active: currentTraceparent() }), { group: 'g' }));
    await t.publish('jobs', env());
    await vi.waitFor(() => expect(tracing.spans().map((s) => s.name)).toContain('process jobs'));
    const pub = tracing.span('publish jobs');
    const proc = tracing.span('process jobs');
    expect(pub.parentSpanContext).toBeUndefined();
    expect(pub.kind).toBe(SpanKind.PRODUCER);
    expect(proc.kind).toBe(SpanKind.CONSUMER);
    expect(proc.parentSpanContext?.spanId).toBe(idOf(pub));
    expect(proc.spanContext().traceId).toBe(pub.spanContext().traceId);
    expect(seen[0]!.env.traceparent).toBe(formatTraceparent(pub.spanContext()));
    // Inside the handler the process span is the active one (a log line or a next hop sees it).
    expect(seen[0]!.active).toBe(formatTraceparent(proc.spanContext()));
    expect(proc.attributes).toMatchObject({ 'messaging.system': 'memory', 'messaging.consumer.group.name': 'g', 'agentbus.delivery.attempt': 1 });
  });

  it('continues the trace an envelope already carries (a replay, a reply) when no span is active', async () => {
    const t = bus();
    const upstream = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await t.publish('jobs', env(1, { traceparent: upstream }));
    const pub = tracing.span('publish jobs');
    expect(pub.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(pub.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
  });

  it('leaves a signed envelope as it is (its traceparent is signed) and still traces the publish', async () => {
    const t = bus();
    const keys = generateSigningKeyPair();
    const signed = signEnvelope(env(), keys.privateKey);
    const got: Envelope[] = [];
    open.push(t.consume('signed', (e) => void got.push(e), { group: 'g' }));
    await t.publish('signed', signed);
    await vi.waitFor(() => expect(got).toHaveLength(1));
    expect(got[0]!.traceparent).toBeUndefined();
    expect(verifyEnvelope(got[0]!, keys.publicKey).ok).toBe(true);
    expect(tracing.spans().map((s) => s.name)).toContain('publish signed');
    // injectTraceparent before signing is the way to carry the trace in a signed envelope.
    await tracing.tracer.startActiveSpan('outer', async (span) => {
      const stamped = signEnvelope(injectTraceparent(env(2)), keys.privateKey);
      expect(stamped.traceparent).toBe(formatTraceparent(span.spanContext()));
      expect(injectTraceparent(stamped)).toBe(stamped);
      span.end();
    });
  });

  it('a failed publish ends its span with the error', async () => {
    const t = withTracing(createMemoryTransport(), { tracer: tracing.tracer });
    await t.close();
    await expect(t.publish('jobs', env())).rejects.toThrow();
    const pub = tracing.span('publish jobs');
    expect(pub.status.code).toBe(SpanStatusCode.ERROR);
    expect(pub.events.map((e) => e.name)).toContain('exception');
  });

  it('a publish that throws synchronously ends its span too', async () => {
    const base = createMemoryTransport();
    open.push(base);
    const broken = Object.assign(Object.create(base) as Transport, {
      publish: () => {
        throw new Error('sync boom');
      },
      publishBatch: () => {
        throw new Error('sync batch boom');
      },
    });
    const t = withTracing(broken, { tracer: tracing.tracer });
    expect(() => t.publish('x', env())).toThrow('sync boom');
    expect(() => t.publishBatch('x', [env()])).toThrow('sync batch boom');
    await tracing.tracer.startActiveSpan('outer', async (span) => {
      expect(() => t.publishBatch('x', [env()])).toThrow('sync batch boom');
      span.end();
    });
    const failed = tracing.spans().filter((s) => s.name === 'publish x');
    expect(failed).toHaveLength(3);
    expect(failed.every((s) => s.status.code === SpanStatusCode.ERROR)).toBe(true);
  });
});

describe('withTracing: publishBatch', () => {
  it('inside a span: one PRODUCER span for the batch, every envelope its child', async () => {
    const t = bus();
    const got: Envelope[] = [];
    open.push(t.consume('batch', (e) => void got.push(e), { group: 'g' }));
    const envs = [env(1), env(2), env(3)];
    await tracing.tracer.startActiveSpan('fan-out', async (span) => {
      await t.publishBatch('batch', envs);
      span.end();
    });
    await vi.waitFor(() => expect(got).toHaveLength(3));
    const pub = tracing.span('publish batch');
    expect(pub.attributes['messaging.batch.message_count']).toBe(3);
    expect(pub.parentSpanContext?.spanId).toBe(idOf(tracing.span('fan-out')));
    expect(new Set(got.map((e) => e.traceparent))).toEqual(new Set([formatTraceparent(pub.spanContext())]));
    expect(envs.every((e) => e.traceparent === undefined)).toBe(true);
  });

  it('outside any span: each envelope continues its own trace', async () => {
    const t = bus();
    const upstream = '00-11111111111111111111111111111111-2222222222222222-01';
    await t.publishBatch('batch', [env(1, { traceparent: upstream }), env(2)]);
    const pubs = tracing.spans().filter((s) => s.name === 'publish batch');
    expect(pubs).toHaveLength(2);
    expect(pubs[0]!.spanContext().traceId).toBe('11111111111111111111111111111111');
    expect(pubs[1]!.spanContext().traceId).not.toBe('11111111111111111111111111111111');
  });

  it('a refused batch fails every span', async () => {
    const t = withTracing(createMemoryTransport(), { tracer: tracing.tracer });
    await t.close();
    await expect(t.publishBatch('batch', [env(1), env(2)])).rejects.toThrow();
    const pubs = tracing.spans().filter((s) => s.name === 'publish batch');
    expect(pubs.map((s) => s.status.code)).toEqual([SpanStatusCode.ERROR, SpanStatusCode.ERROR]);
  });
});

describe('withTracing: consume', () => {
  it('records a handler error (thrown or rejected) on the CONSUMER span', async () => {
    const t = bus();
    let calls = 0;
    open.push(
      t.consume(
        'bad',
        (e) => {
          calls++;
          if ((e.payload as { n: number }).n === 1) throw new Error('sync failure');
          return Promise.reject(new Error('async failure'));
        },
        { group: 'g', claimIdleMs: 60_000, onRejected: () => 'ack' },
      ),
    );
    await t.publishBatch('bad', [env(1), env(2)]);
    await vi.waitFor(() => expect(tracing.spans().filter((s) => s.name === 'process bad')).toHaveLength(2));
    const messages = tracing
      .spans()
      .filter((s) => s.name === 'process bad')
      .map((s) => [s.status.code, s.status.message]);
    expect(messages).toEqual(
      expect.arrayContaining([
        [SpanStatusCode.ERROR, 'sync failure'],
        [SpanStatusCode.ERROR, 'async failure'],
      ]),
    );
    expect(calls).toBe(2);
  });

  it('with reliability: retry and dead-letter spans are children of the failed handle span, in the message trace', async () => {
    const t = bus();
    const rel = createReliability(t, {
      retry: { delaysMs: [10], jitter: 0 },
      schedulerIntervalMs: 10,
      hooks: combineHooks(tracingReliabilityHooks({ tracer: tracing.tracer })),
    });
    open.push(rel);
    open.push(
      rel.consume(
        'flaky',
        (_e, ctx) => {
          if (ctx.attempt === 1) throw new Error('transient');
          throw new PermanentError('hopeless');
        },
        { group: 'g' },
      ),
    );
    await t.publish('flaky', env());
    await vi.waitFor(async () => expect(await rel.deadLetters.depth('flaky')).toBe(1));
    // (The memory backend moves a due retry back with a publish of its own: a second publish span, same trace.)
    const pub = tracing.spans().find((s) => s.name === 'publish flaky')!;
    const procs = tracing.spans().filter((s) => s.name === 'process flaky');
    expect(procs).toHaveLength(2);
    const retry = tracing.span('retry flaky');
    const dead = tracing.span('dead_letter flaky');
    expect(retry.parentSpanContext?.spanId).toBe(idOf(procs[0]!));
    expect(retry.attributes).toMatchObject({ 'agentbus.delivery.attempt': 2, 'agentbus.retry.delay_ms': 10 });
    expect(dead.parentSpanContext?.spanId).toBe(idOf(procs[1]!));
    expect(dead.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'handler-error: hopeless' });
    expect(dead.attributes['agentbus.dead_letter.reason']).toBe('handler-error');
    for (const s of [...procs, retry, dead]) expect(s.spanContext().traceId).toBe(pub.spanContext().traceId);

    // A replay is traced where it runs; the replayed message continues the original trace.
    await tracing.tracer.startActiveSpan('operator', async (span) => {
      await rel.deadLetters.replay('flaky', 'all');
      span.end();
    });
    const replay = tracing.span('replay flaky');
    expect(replay.attributes['agentbus.replay.count']).toBe(1);
    expect(replay.parentSpanContext?.spanId).toBe(idOf(tracing.span('operator')));
  });

  it('a message rejected before any handler (expired) gets its dead-letter span under the producer span', async () => {
    const t = bus();
    const rel = createReliability(t, { hooks: tracingReliabilityHooks({ tracer: tracing.tracer }) });
    open.push(rel);
    open.push(rel.consume('ttl', () => undefined, { group: 'g' }));
    await t.publish('ttl', env(1, { ttlMs: 1, ts: Date.now() - 10_000 }));
    await vi.waitFor(async () => expect(await rel.deadLetters.depth('ttl')).toBe(1));
    const dead = tracing.span('dead_letter ttl');
    expect(dead.parentSpanContext?.spanId).toBe(idOf(tracing.span('publish ttl')));
    expect(dead.attributes['agentbus.dead_letter.reason']).toBe('expired');
  });
});

describe('withTracing: everything else', () => {
  it('traces Pub/Sub publish -> subscribe and psubscribe, and records a throwing subscriber', async () => {
    const t = bus();
    const got: Envelope[] = [];
    const sub = t.pubsub.subscribe('chat.room', (e) => void got.push(e));
    const psub = t.pubsub.psubscribe('chat.*', () => {
      throw new Error('subscriber broke');
    }, { onError: () => undefined });
    await Promise.all([sub.ready(), psub.ready()]);
    await t.pubsub.publish('chat.room', env());
    await vi.waitFor(() => expect(tracing.spans().filter((s) => s.name.startsWith('process chat'))).toHaveLength(2));
    const pub = tracing.span('publish chat.room');
    expect(got[0]!.traceparent).toBe(formatTraceparent(pub.spanContext()));
    expect(tracing.span('process chat.room').parentSpanContext?.spanId).toBe(idOf(pub));
    const pattern = tracing.span('process chat.*');
    expect(pattern.parentSpanContext?.spanId).toBe(idOf(pub));
    expect(pattern.status.code).toBe(SpanStatusCode.ERROR);
    await sub.unsubscribe();
    await psub.unsubscribe();
  });

  it('pubsub: false leaves Pub/Sub untraced; the rest of the transport is the wrapped one', async () => {
    const base = createMemoryTransport({ namespace: 'wrapped' });
    const t = withTracing(base, { tracer: tracing.tracer, pubsub: false });
    open.push(t);
    expect(t.pubsub).toBe(base.pubsub);
    expect(t.backend).toBe('memory');
    expect(t.keys).toBe(base.keys);
    expect(t.partitionsOf('a')).toEqual(['a']);
    await t.publish('a', env());
    expect((await t.stats('a')).length).toBe(1);
  });

  it('uses the global tracer provider when given no tracer', async () => {
    const t = withTracing(createMemoryTransport());
    open.push(t);
    await t.publish('global', env());
    expect(tracing.span('publish global').instrumentationScope.name).toBe('@agentbus/metrics');
  });

  it('traceRelay runs a relay step in a CONSUMER span continuing the row trace, and fails it on error', async () => {
    const t = bus();
    const row = '00-33333333333333333333333333333333-4444444444444444-01';
    const result = await traceRelay({ topic: 'l2', traceparent: row, source: 'outbox', tracer: tracing.tracer }, async () => {
      await t.publish('l2', env());
      return 'relayed';
    });
    expect(result).toBe('relayed');
    const relay = tracing.span('relay l2');
    expect(relay.kind).toBe(SpanKind.CONSUMER);
    expect(relay.parentSpanContext?.spanId).toBe('4444444444444444');
    expect(relay.attributes['agentbus.relay.source']).toBe('outbox');
    expect(tracing.span('publish l2').parentSpanContext?.spanId).toBe(idOf(relay));

    await expect(
      traceRelay({ topic: 'l2-bad', tracer: tracing.tracer }, () => {
        throw new Error('pg gone');
      }),
    ).rejects.toThrow('pg gone');
    expect(tracing.span('relay l2-bad').status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'pg gone' });
  });

  it('traceLogFields gives the active span ids for a log mixin, {} outside a span', () => {
    expect(traceLogFields()).toEqual({});
    tracing.tracer.startActiveSpan('log', (span) => {
      expect(traceLogFields()).toEqual({ trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId, trace_flags: '01' });
      span.end();
    });
    const ctx = trace.setSpanContext(context.active(), parseTraceparent('00-55555555555555555555555555555555-6666666666666666-00')!);
    expect(traceLogFields(ctx)).toEqual({ trace_id: '55555555555555555555555555555555', span_id: '6666666666666666', trace_flags: '00' });
  });
});
