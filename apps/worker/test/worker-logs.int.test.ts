import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { createEnvelope } from '@agentbus/schema';
import { createReliability } from '@agentbus/reliability';
import { createRedisTransport, type Transport } from '@agentbus/transport';
import { uniquePrefix } from '@agentbus/test-utils';
import { createWorker, type Worker, type WorkerLogLevel } from '../src/index';

interface Line {
  level: WorkerLogLevel;
  msg: string;
  [field: string]: unknown;
}

const open: Array<{ close(): Promise<void> } | Worker> = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await ('stop' in o ? o.stop() : o.close());
});

function capture(): { lines: Line[]; log: (level: WorkerLogLevel, msg: string, fields?: Record<string, unknown>) => void; of: (msg: string) => Line[] } {
  const lines: Line[] = [];
  return {
    lines,
    log: (level, msg, fields = {}) => void lines.push({ level, msg, ...fields }),
    of: (msg) => lines.filter((l) => l.msg === msg),
  };
}

function redisTransport(namespace: string): Transport {
  const t = createRedisTransport({ url: inject('redisUrl'), namespace });
  open.push(t);
  return t;
}

const base = { topic: 'jobs', group: 'g', concurrency: 2, port: 0, host: '127.0.0.1', stopDeadlineMs: 2000 };

describe('worker logs', () => {
  it('one line per handler failure, retry and dead letter, on the retry schedule it was given', async () => {
    const namespace = uniquePrefix('wlog');
    const transport = redisTransport(namespace);
    const { log, of } = capture();
    const worker = await createWorker({
      ...base,
      transport,
      log,
      retryDelaysMs: [30],
      maxAttempts: 2,
      reliability: { schedulerIntervalMs: 20 },
      handler: (env) => {
        if (env.payload === 'bad') throw new Error('boom');
      },
    });
    open.push(worker);
    const sent = await transport.publish('jobs', createEnvelope({ type: 'job', from: 't', payload: 'bad' }));
    await vi.waitFor(() => expect(of('dead-lettered')).toHaveLength(1), { timeout: 5000 });
    const failed = of('handler failed');
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatchObject({ level: 'warn', topic: 'jobs', group: 'g', id: sent.id, type: 'job', attempt: 1, deliveryCount: 1, error: 'boom' });
    expect(failed[1]).toMatchObject({ attempt: 2 });
    const retries = of('retry scheduled');
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ level: 'info', topic: 'jobs', id: sent.id, attempt: 2, error: 'boom' });
    expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(27);
    expect(retries[0]!.delayMs).toBeLessThanOrEqual(33);
    expect(of('dead-lettered')[0]).toMatchObject({ level: 'error', topic: 'jobs', id: sent.id, reason: 'max-deliveries', attempt: 2, error: 'boom' });
  });

  it('a handler past its timeout is logged as aborted (TIMEOUT), then retried', async () => {
    const transport = redisTransport(uniquePrefix('wtimeout'));
    const { log, of } = capture();
    const worker = await createWorker({
      ...base,
      transport,
      log,
      handlerTimeoutMs: 100,
      retryDelaysMs: [20],
      reliability: { schedulerIntervalMs: 20 },
      handler: async (env, ctx) => {
        // The first attempt waits for its signal, as a well-behaved slow handler does.
        if (ctx.attempt === 1) await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)));
      },
    });
    open.push(worker);
    await transport.publish('jobs', createEnvelope({ type: 'job', from: 't', payload: 'slow' }));
    await vi.waitFor(() => expect(of('retry scheduled')).toHaveLength(1), { timeout: 5000 });
    expect(of('handler aborted')).toEqual([expect.objectContaining({ level: 'warn', code: 'TIMEOUT', attempt: 1 })]);
    // Its rejection after the abort is the same failure: not a second line.
    expect(of('handler failed')).toHaveLength(0);
    expect(of('retry scheduled')[0]!.error).toMatch(/handlerTimeoutMs 100 ms/);
    await vi.waitFor(() => expect(worker.consumer.counters().acked).toBe(2), { timeout: 5000 });
  });

  it('a lease taken over while the handler runs: the handler is told, and the loss is logged', async () => {
    const namespace = uniquePrefix('wlease');
    const { log, of } = capture();
    let release: () => void = () => undefined;
    let streamId = '';
    const worker = await createWorker({
      ...base,
      env: { REDIS_URL: inject('redisUrl'), REDIS_NAMESPACE: namespace },
      log,
      claimIdleMs: 5000,
      leaseRenewMs: 50,
      handler: async (_env, ctx) => {
        streamId = ctx.streamId;
        await new Promise<void>((resolve) => {
          release = resolve;
          ctx.signal.addEventListener('abort', () => resolve());
        });
      },
    });
    open.push(worker);
    await worker.transport.publish('jobs', createEnvelope({ type: 'job', from: 't', payload: 'held' }));
    await vi.waitFor(() => expect(streamId).not.toBe(''), { timeout: 5000 });
    // Another consumer takes the entry over, as XAUTOCLAIM does for a consumer presumed dead.
    await worker.transport.redis!.call('XCLAIM', worker.transport.keys.lane('jobs', 'normal'), 'g', 'thief', 0, streamId);
    await vi.waitFor(() => expect(of('lease lost')).toHaveLength(1), { timeout: 5000 });
    expect(of('lease lost')[0]).toMatchObject({ level: 'warn', topic: 'jobs', group: 'g', count: 1 });
    expect(of('handler aborted')).toEqual([expect.objectContaining({ code: 'LEASE_LOST', streamId })]);
    release();
  });

  it('says when the dead-letter cap drops the oldest dead letters', async () => {
    const transport = redisTransport(uniquePrefix('wdrop'));
    const { log, of } = capture();
    const worker = await createWorker({
      ...base,
      transport,
      log,
      maxAttempts: 1,
      reliability: { deadLetterMaxLen: 1 },
      handler: () => {
        throw new Error('never works');
      },
    });
    open.push(worker);
    await transport.publish('jobs', createEnvelope({ type: 'job', from: 't', payload: 1 }));
    await vi.waitFor(() => expect(of('dead-lettered')).toHaveLength(1), { timeout: 5000 });
    await transport.publish('jobs', createEnvelope({ type: 'job', from: 't', payload: 2 }));
    await vi.waitFor(() => expect(of('dead letters dropped')).toHaveLength(1), { timeout: 5000 });
    expect(of('dead letters dropped')[0]).toMatchObject({ level: 'error', topic: 'jobs', count: 1 });
    expect(of('retry scheduled')).toHaveLength(0);
  });

  it('a shared Reliability keeps its owner hooks; the worker still logs handler failures and passes maxDeliveries', async () => {
    const transport = redisTransport(uniquePrefix('wshared'));
    const reliability = createReliability(transport, { retry: { delaysMs: [20] }, schedulerIntervalMs: 20 });
    open.push(reliability);
    const { log, of } = capture();
    const worker = await createWorker({
      ...base,
      transport,
      reliability,
      log,
      handler: (_env, ctx) => {
        if (ctx.attempt === 1) throw new Error('first time');
      },
    });
    open.push(worker);
    await transport.publish('jobs', createEnvelope({ type: 'job', from: 't', payload: 'x' }));
    await vi.waitFor(() => expect(worker.consumer.counters().acked).toBe(2), { timeout: 5000 });
    expect(of('handler failed')).toHaveLength(1);
  });
});
