import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEnvelope, isAgentbusError, type Envelope, type EnvelopeInput } from '@agentbus/schema';
import type {
  ConsumeOptions,
  Consumer,
  DeliveryContext,
  GroupInfo,
  Handler,
  Rejection,
  Subscription,
  Transport,
  TransportCapabilities,
} from '../types';
import { compareStreamIds } from '../internal/stream-id';

/** What a backend's conformance run provides. */
export interface ConformanceSetup {
  transport: Transport;
  /** Releases what setup created (connections, servers, data). */
  cleanup: () => Promise<void>;
  /** A second transport sharing the same data, like a second process. */
  peer: () => Promise<Transport>;
}

/**
 * Longest wait, on the memory backend, for something a test expects to happen. A check that holds
 * returns at once, so the bound costs a passing test nothing; it only decides how long a stalled
 * machine may take before the test fails. Backends scale it by their pace.
 */
const WAIT_MS = 2_500;

/**
 * How many times slower than in memory a backend may run on a loaded machine (2 shared cores,
 * other work running): a Redis server shares the cores with the test process, a Cluster runs
 * three of them. Scales the waits, and the windows a stall could otherwise close.
 */
function paceOf(capabilities: TransportCapabilities): number {
  if (capabilities.cluster) return 4;
  return capabilities.durable ? 2 : 1;
}

let sequence = 0;

/** A name no other test (or earlier run against the same Redis) uses: topics, groups, channels. */
function unique(what: string): string {
  sequence += 1;
  return `conf-${what}-${Date.now().toString(36)}-${sequence.toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

function envelope(payload: unknown, extra: Partial<EnvelopeInput> = {}): Envelope {
  return createEnvelope({ type: 'conformance.test', from: 'conformance', payload, ...extra });
}

function envelopes(n: number, extra: Partial<EnvelopeInput> = {}): Envelope[] {
  return Array.from({ length: n }, (_, i) => envelope({ i }, extra));
}

/** A handler's work that never finishes (a hung or crashed worker). */
function never(): Promise<void> {
  return new Promise<void>(() => undefined);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}


/**
 * The transport contract suite (see types.ts): every backend runs the same tests, skipping what its
 * `capabilities` do not promise. Each test uses its own topic, group and channel names, so the
 * suite can share one transport and one Redis, and each stays under 3 s in memory (a slower
 * backend's windows scale with its pace: see paceOf).
 *
 * ```ts
 * describeTransportConformance('memory', async () => { ... }, { ordering: true, ... });
 * ```
 */
export function describeTransportConformance(
  name: string,
  setup: () => Promise<ConformanceSetup>,
  capabilities: TransportCapabilities,
): void {
  const pace = paceOf(capabilities);
  const waitMs = WAIT_MS * pace;
  const eventually = <T>(check: () => T | Promise<T>, timeout = waitMs): Promise<T> => vi.waitFor(check, { timeout, interval: 20 });

  // A failing check must get to report its own message before the test's timeout cuts it off.
  describe(`transport conformance: ${name}`, { timeout: Math.max(20_000, waitMs * 4) }, () => {
    let env: ConformanceSetup | undefined;
    const consumers: Consumer[] = [];
    const subscriptions: Subscription[] = [];
    const peers: Transport[] = [];

    const transport = (): Transport => {
      if (!env) throw new Error('conformance setup did not run');
      return env.transport;
    };

    async function peer(): Promise<Transport> {
      if (!env) throw new Error('conformance setup did not run');
      const p = await env.peer();
      peers.push(p);
      return p;
    }

    /** Starts a consumer that afterEach closes (deadline 0: a hung handler does not hold the suite). */
    function consume(
      topic: string,
      handler: Handler,
      options: ConsumeOptions,
      on: Transport = transport(),
    ): Consumer {
      const c = on.consume(topic, handler, { blockMs: 200, consumer: unique('consumer'), ...options });
      consumers.push(c);
      return c;
    }

    async function groupStats(topic: string, group: string, on: Transport = transport()): Promise<GroupInfo> {
      const stats = await on.stats(topic);
      const g = stats.groups.find((x) => x.name === group);
      if (!g) throw new Error(`group ${group} not in the stats of ${topic}`);
      return g;
    }

    /** Waits until the group has nothing pending and nothing undelivered: every message settled. */
    async function settled(topic: string, group: string, on: Transport = transport()): Promise<void> {
      await eventually(async () => {
        const g = await groupStats(topic, group, on);
        expect(g.pending).toBe(0);
        if (g.lag !== null) expect(g.lag).toBe(0);
      });
    }

    beforeAll(async () => {
      env = await setup();
    });

    afterEach(async () => {
      await Promise.allSettled(consumers.splice(0).map((c) => c.close(0)));
      await Promise.allSettled(subscriptions.splice(0).map((s) => s.unsubscribe()));
      await Promise.allSettled(peers.splice(0).map((p) => p.close()));
    });

    afterAll(async () => {
      await env?.cleanup();
    });

    describe('publish and consume', () => {
      it('hands the decoded envelope to the handler with its delivery context, then acks it', async () => {
        const t = transport();
        const topic = unique('roundtrip');
        const group = unique('group');
        const sent = envelope({ task: 'summarise', n: 1 }, { to: 'worker-1', act: 'request', correlationId: 'corr-1' });
        const got: Array<[Envelope, DeliveryContext]> = [];
        const c = consume(topic, (m, ctx) => void got.push([m, ctx]), { group });
        await c.ready();

        const result = await t.publish(topic, sent);
        expect(result).toMatchObject({ id: sent.id, topic, duplicate: false });
        expect(result.streamId).toMatch(/^\d+-\d+$/);

        await eventually(() => expect(got).toHaveLength(1));
        const [received, ctx] = got[0]!;
        expect(received).toEqual(sent);
        expect(ctx).toMatchObject({
          topic,
          partition: 0,
          streamId: result.streamId,
          deliveryCount: 1,
          lane: 'normal',
          group,
          consumer: c.name,
        });
        expect(ctx.signal.aborted).toBe(false);
        await settled(topic, group);
        expect(c.counters()).toMatchObject({ delivered: 1, acked: 1, failed: 0, expired: 0, invalid: 0 });
        expect(c).toMatchObject({ topic, group });
      });

      it('a new group starts at the stream start by default, and at new entries with startId $', async () => {
        const t = transport();
        const topic = unique('start');
        const [before, after] = envelopes(2);
        await t.publish(topic, before!);
        const fromStart: string[] = [];
        const fromNow: string[] = [];
        const a = consume(topic, (m) => void fromStart.push(m.id), { group: unique('group') });
        const b = consume(topic, (m) => void fromNow.push(m.id), { group: unique('group'), startId: '$' });
        await Promise.all([a.ready(), b.ready()]);
        await t.publish(topic, after!);
        await eventually(() => {
          expect(fromStart).toEqual([before!.id, after!.id]);
          expect(fromNow).toEqual([after!.id]);
        });
      });

      it('acks only after the handler resolved: a handler still running leaves its entry pending', async () => {
        const t = transport();
        const topic = unique('ack-after');
        const group = unique('group');
        const gate = deferred();
        const c = consume(topic, () => gate.promise, { group });
        await t.publish(topic, envelope('slow'));
        await eventually(() => expect(c.inFlight()).toBe(1));
        expect((await groupStats(topic, group)).pending).toBe(1);
        expect(c.counters().acked).toBe(0);

        gate.resolve();
        await settled(topic, group);
        expect(c.counters().acked).toBe(1);
      });

      it('publishBatch writes in input order and returns the results in that order', async () => {
        const t = transport();
        const topic = unique('batch');
        const sent = envelopes(10);
        const results = await t.publishBatch(topic, sent);
        expect(results.map((r) => r.id)).toEqual(sent.map((e) => e.id));
        for (const r of results) expect(r).toMatchObject({ topic, duplicate: false });
        const ids = results.map((r) => r.streamId);
        expect([...ids].sort(compareStreamIds)).toEqual(ids);
        expect(new Set(ids).size).toBe(ids.length);
        expect((await t.stats(topic)).length).toBe(10);
        expect(await t.publishBatch(topic, [])).toEqual([]);
      });

      it.runIf(capabilities.ordering)('keeps publish order per stream with concurrency 1', async () => {
        const t = transport();
        const topic = unique('order');
        const group = unique('group');
        const sent = envelopes(20);
        for (const e of sent.slice(0, 10)) await t.publish(topic, e);
        await t.publishBatch(topic, sent.slice(10));
        const order: string[] = [];
        consume(topic, (m) => void order.push(m.id), { group, concurrency: 1 });
        await eventually(() => expect(order).toHaveLength(20));
        expect(order).toEqual(sent.map((e) => e.id));
      });
    });

    describe('at-least-once delivery', () => {
      it('a failed handler leaves the message pending; it is redelivered after claimIdleMs with deliveryCount 2', async () => {
        const t = transport();
        const topic = unique('retry');
        const group = unique('group');
        const attempts: Array<{ count: number; streamId: string }> = [];
        const c = consume(
          topic,
          (_m, ctx) => {
            attempts.push({ count: ctx.deliveryCount, streamId: ctx.streamId });
            if (ctx.deliveryCount === 1) throw new Error('first attempt fails');
          },
          // The pending check below must land before the redelivery: a stall shorter than
          // claimIdleMs cannot reorder them.
          { group, claimIdleMs: 300 * pace, claimIntervalMs: 100 },
        );
        const { streamId } = await t.publish(topic, envelope('flaky'));
        await eventually(() => expect(attempts).toHaveLength(1));
        expect((await groupStats(topic, group)).pending).toBe(1);

        await eventually(() => expect(attempts).toHaveLength(2));
        expect(attempts).toEqual([
          { count: 1, streamId },
          { count: 2, streamId },
        ]);
        await settled(topic, group);
        expect(c.counters()).toMatchObject({ failed: 1, acked: 1 });
        expect(c.counters().reclaimed).toBeGreaterThanOrEqual(1);
      });

      it('two consumers of one group share the messages: each handled exactly once in total', async () => {
        const t = transport();
        const topic = unique('shared');
        const group = unique('group');
        const handled = new Map<string, number>();
        const handler: Handler = async (m) => {
          handled.set(m.id, (handled.get(m.id) ?? 0) + 1);
          await new Promise((r) => setImmediate(r));
        };
        const a = consume(topic, handler, { group, concurrency: 2 });
        const b = consume(topic, handler, { group, concurrency: 2 });
        await Promise.all([a.ready(), b.ready()]);
        const sent = envelopes(40);
        await t.publishBatch(topic, sent);

        await eventually(() => expect(a.counters().acked + b.counters().acked).toBe(40));
        await settled(topic, group);
        expect([...handled.keys()].sort()).toEqual(sent.map((e) => e.id).sort());
        expect([...handled.values()].every((n) => n === 1)).toBe(true);
        expect(a.counters().delivered + b.counters().delivered).toBe(40);
      });

      it('the pending messages of a consumer closed mid-work are reclaimed by another consumer of the group', async () => {
        const t = transport();
        const topic = unique('reclaim');
        const group = unique('group');
        const started: Array<{ id: string; signal: AbortSignal }> = [];
        const dead = consume(
          topic,
          (m, ctx) => {
            started.push({ id: m.id, signal: ctx.signal });
            return never();
          },
          { group, concurrency: 1 },
        );
        await dead.ready();
        const sent = envelopes(3);
        await t.publishBatch(topic, sent);
        await eventually(() => expect(started).toHaveLength(1));

        // Deadline 0: the hung handler is abandoned, its signal aborts, its entries stay pending.
        await dead.close(0);
        expect(started[0]!.signal.aborted).toBe(true);
        expect((await groupStats(topic, group)).pending).toBeGreaterThanOrEqual(1);

        const got = new Map<string, number>();
        const alive = consume(topic, (m, ctx) => void got.set(m.id, ctx.deliveryCount), {
          group,
          claimIdleMs: 200,
          claimIntervalMs: 100,
        });
        await eventually(() => expect(got.size).toBe(3));
        expect([...got.keys()].sort()).toEqual(sent.map((e) => e.id).sort());
        expect(got.get(started[0]!.id)).toBeGreaterThanOrEqual(2);
        expect(alive.counters().reclaimed).toBeGreaterThanOrEqual(1);
        await settled(topic, group);
      });

      it('never runs more handlers at once than its concurrency', async () => {
        const t = transport();
        const topic = unique('concurrency');
        const group = unique('group');
        let running = 0;
        let most = 0;
        let mostInFlight = 0;
        let done = 0;
        const c: Consumer = consume(
          topic,
          async () => {
            running++;
            most = Math.max(most, running);
            mostInFlight = Math.max(mostInFlight, c.inFlight());
            await sleep(5);
            running--;
            done++;
          },
          { group, concurrency: 3 },
        );
        await t.publishBatch(topic, envelopes(30));
        await eventually(() => expect(done).toBe(30));
        expect(most).toBeLessThanOrEqual(3);
        expect(most).toBeGreaterThan(1);
        expect(mostInFlight).toBeLessThanOrEqual(3);
        await settled(topic, group);
      });

      it('close() waits for in-flight handlers and acks them before it resolves', async () => {
        const t = transport();
        const topic = unique('close');
        const group = unique('group');
        let finished = false;
        const c = consume(
          topic,
          async () => {
            await sleep(150);
            finished = true;
          },
          { group },
        );
        await t.publish(topic, envelope('in flight'));
        await eventually(() => expect(c.inFlight()).toBe(1));
        await c.close(5_000);
        expect(finished).toBe(true);
        expect(c.inFlight()).toBe(0);
        expect(c.counters().acked).toBe(1);
        expect((await groupStats(topic, group)).pending).toBe(0);
      });
    });

    describe('leases', () => {
      it('a handler running several times claimIdleMs keeps its entry: run once, never reclaimed, never concurrent', async () => {
        const t = transport();
        const topic = unique('lease-long');
        const group = unique('group');
        // A stall longer than claimIdleMs - leaseRenewMs (2/3 of it) lets the reclaimer run before
        // the renewal: the window scales with the backend's pace.
        const claimIdleMs = 300 * pace;
        const runs = new Map<string, number>();
        let running = 0;
        let most = 0;
        const handler: Handler = async (m, ctx) => {
          runs.set(m.id, (runs.get(m.id) ?? 0) + 1);
          running++;
          most = Math.max(most, running);
          expect(ctx.deliveryCount).toBe(1);
          await sleep(claimIdleMs * 3.5);
          running--;
        };
        const opts = { group, claimIdleMs, claimIntervalMs: 50, concurrency: 2 };
        const a = consume(topic, handler, opts);
        const b = consume(topic, handler, opts);
        await Promise.all([a.ready(), b.ready()]);
        await t.publishBatch(topic, envelopes(4));
        await eventually(() => expect(a.counters().acked + b.counters().acked).toBe(4), waitMs * 2);
        await settled(topic, group);
        expect([...runs.values()]).toEqual([1, 1, 1, 1]);
        expect(a.counters().reclaimed + b.counters().reclaimed).toBe(0);
        expect(a.counters().leaseLost + b.counters().leaseLost).toBe(0);
      });

      it('one window over all lanes: never more pending for a consumer than concurrency + prefetch', async () => {
        const t = transport();
        const topic = unique('lease-window');
        const group = unique('group');
        const gate = deferred();
        const c = consume(topic, () => gate.promise, { group, concurrency: 1, prefetch: 1 });
        await c.ready();
        for (const priority of ['urgent', 'high', 'normal', 'low'] as const) {
          await t.publishBatch(topic, envelopes(5, { priority }));
        }
        await eventually(() => expect(c.inFlight()).toBe(1));
        // Read-ahead reaches the window however slowly; the sleep then gives an over-read time to
        // show (a stall only lengthens it).
        await eventually(async () => expect((await groupStats(topic, group)).pending).toBe(2));
        await sleep(300);
        expect((await groupStats(topic, group)).pending).toBe(2);
        gate.resolve();
        await eventually(() => expect(c.counters().acked).toBe(20));
      });

      it('a consumer that lost its lease sees its signal abort with LEASE_LOST, and its ack does not count', async () => {
        const t = transport();
        const topic = unique('lease-lost');
        const group = unique('group');
        let reason: unknown;
        // Renewing slower than claimIdleMs: the other consumer takes the entry over meanwhile.
        const slow = consume(
          topic,
          (_m, ctx) =>
            new Promise<void>((resolve) => {
              ctx.signal.addEventListener('abort', () => {
                reason = ctx.signal.reason;
                resolve();
              });
            }),
          { group, claimIdleMs: 5_000, leaseRenewMs: 600, claimIntervalMs: 60_000 },
        );
        await slow.ready();
        await t.publish(topic, envelope('contested'));
        await eventually(() => expect(slow.inFlight()).toBe(1));
        const counts: number[] = [];
        const thief = consume(topic, (_m, ctx) => void counts.push(ctx.deliveryCount), {
          group,
          claimIdleMs: 150,
          claimIntervalMs: 50,
        });
        await eventually(() => expect(counts).toEqual([2]));
        await eventually(() => expect(slow.counters().leaseLost).toBe(1));
        expect(isAgentbusError(reason) && (reason as { code: string }).code).toBe('LEASE_LOST');
        await settled(topic, group);
        expect(slow.counters().acked).toBe(0);
        expect(thief.counters().acked).toBe(1);
      });

      it('handlerTimeoutMs fails a run that takes too long: its signal aborts with TIMEOUT and onRejected gets it', async () => {
        const t = transport();
        const topic = unique('lease-timeout');
        const group = unique('group');
        const rejected: Rejection[] = [];
        let aborted: unknown;
        const c = consume(
          topic,
          (_m, ctx) => {
            ctx.signal.addEventListener('abort', () => (aborted = ctx.signal.reason));
            return never();
          },
          { group, handlerTimeoutMs: 100, onRejected: (r) => (rejected.push(r), 'ack') },
        );
        await c.ready();
        await t.publish(topic, envelope('slow'));
        await eventually(() => expect(rejected).toHaveLength(1));
        expect(rejected[0]!.reason).toBe('handler-error');
        expect((rejected[0]!.error as { code?: string }).code).toBe('TIMEOUT');
        expect((aborted as { code?: string }).code).toBe('TIMEOUT');
        await settled(topic, group);
        expect(c.inFlight()).toBe(0);
      });

      it('ctx.extend() renews the lease while held', async () => {
        const t = transport();
        const topic = unique('lease-extend');
        const group = unique('group');
        const extended: boolean[] = [];
        const c = consume(topic, async (_m, ctx) => void extended.push(await ctx.extend()), { group });
        await c.ready();
        await t.publish(topic, envelope('x'));
        await eventually(() => expect(extended).toEqual([true]));
        await settled(topic, group);
      });
    });

    describe('partitions and priority lanes', () => {
      it('a partitioned topic keeps one key on one partition, spreads keys, and one group consumes them all', async () => {
        const t = transport();
        const topic = unique('partitioned');
        const group = unique('group');
        t.defineTopic(topic, { partitions: 4 });
        const keys = Array.from({ length: 12 }, (_, i) => `key-${i}`);
        const sent: Array<{ key: string; round: number; id: string; partition: string }> = [];
        for (let round = 0; round < 3; round++) {
          for (const key of keys) {
            const e = envelope({ key, round });
            const r = await t.publish(topic, e, { partitionKey: key });
            sent.push({ key, round, id: e.id, partition: r.topic });
          }
        }
        for (const key of keys) {
          const partitions = new Set(sent.filter((s) => s.key === key).map((s) => s.partition));
          expect(partitions.size).toBe(1);
          expect(['0', '1', '2', '3'].map((n) => `${topic}.${n}`)).toContain([...partitions][0]);
        }
        expect(new Set(sent.map((s) => s.partition)).size).toBeGreaterThan(1);

        const got: Array<{ payload: { key: string; round: number }; id: string; ctx: DeliveryContext }> = [];
        consume(topic, (m, ctx) => void got.push({ payload: m.payload as { key: string; round: number }, id: m.id, ctx }), {
          group,
          concurrency: 1,
        });
        await eventually(() => expect(got).toHaveLength(sent.length));
        for (const g of got) {
          const s = sent.find((x) => x.id === g.id)!;
          expect(g.ctx.topic).toBe(topic);
          expect(`${topic}.${g.ctx.partition}`).toBe(s.partition);
        }
        if (capabilities.ordering) {
          for (const key of keys) {
            expect(got.filter((g) => g.payload.key === key).map((g) => g.payload.round)).toEqual([0, 1, 2]);
          }
        }
        const stats = await t.stats(topic);
        expect(stats.partitions).toBe(4);
        expect(stats.length).toBe(sent.length);
      });

      it('urgent messages overtake a backlog of normal ones', async () => {
        const t = transport();
        const topic = unique('lanes');
        const group = unique('group');
        const normal = envelopes(30);
        const urgent = envelopes(3, { priority: 'urgent' });
        await t.publishBatch(topic, normal);
        await t.publishBatch(topic, urgent);
        const order: Array<{ priority: string; lane: string }> = [];
        consume(topic, (m, ctx) => void order.push({ priority: m.priority, lane: ctx.lane }), { group, concurrency: 1 });
        await eventually(() => expect(order).toHaveLength(33));
        for (const o of order) expect(o.lane).toBe(o.priority);
        const lastUrgent = order.map((o) => o.priority).lastIndexOf('urgent');
        const normalBefore = order.slice(0, lastUrgent).filter((o) => o.priority === 'normal').length;
        expect(normalBefore).toBeLessThan(normal.length / 2);
      });
    });

    describe('expiry and rejection', () => {
      it('never hands an expired envelope to the handler: counted as expired, given to onRejected', async () => {
        const t = transport();
        const topic = unique('ttl');
        const group = unique('group');
        const expired = envelope('stale', { ts: Date.now() - 60_000, ttlMs: 1_000 });
        const fresh = envelope('fresh', { ttlMs: 60_000 });
        const handled: string[] = [];
        const rejections: Rejection[] = [];
        const c = consume(topic, (m) => void handled.push(m.id), {
          group,
          onRejected: (r) => {
            rejections.push(r);
            return 'ack';
          },
        });
        const r = await t.publish(topic, expired);
        await t.publish(topic, fresh);
        await eventually(() => {
          expect(handled).toEqual([fresh.id]);
          expect(rejections).toHaveLength(1);
        });
        const rejection = rejections[0]!;
        expect(rejection).toMatchObject({
          reason: 'expired',
          topic,
          stream: t.keys.lane(topic, 'normal'),
          streamId: r.streamId,
          deliveryCount: 1,
          group,
          consumer: c.name,
        });
        expect(rejection.envelope?.id).toBe(expired.id);
        expect(rejection.error).toBeInstanceOf(Error);
        expect((JSON.parse(rejection.raw) as Envelope).id).toBe(expired.id);
        expect(c.counters().expired).toBe(1);
        await settled(topic, group);
      });

      it('carries headers beside the envelope: the handler sees them and the attempt', async () => {
        const t = transport();
        const topic = unique('hdr');
        const seen: Array<[number, unknown]> = [];
        consume(topic, (_m, ctx) => void seen.push([ctx.attempt, ctx.headers?.history]), { group: unique('group') });
        await t.publish(topic, envelope('plain'));
        await t.publish(topic, envelope('retried'), { headers: { attempt: 3, history: ['x'] } });
        await eventually(() => expect(seen).toEqual([[1, undefined], [3, ['x']]]));
      });

      it('rejects an entry delivered more than maxDeliveries times as poison, without running the handler', async () => {
        const t = transport();
        const topic = unique('poison');
        const group = unique('group');
        let runs = 0;
        const rejections: Rejection[] = [];
        consume(topic, () => {
          runs++;
          throw new Error('crashes its consumer');
        }, {
          group,
          maxDeliveries: 2,
          claimIdleMs: 50,
          claimIntervalMs: 50,
          onRejected: (r) => {
            rejections.push(r);
            return r.reason === 'poison' ? 'ack' : 'retry';
          },
        });
        await t.publish(topic, envelope('bad'));
        await eventually(() => expect(rejections.map((r) => r.reason)).toEqual(['handler-error', 'handler-error', 'poison']));
        expect(runs).toBe(2);
        expect(rejections[2]!.deliveryCount).toBe(3);
        await settled(topic, group);
      });

      it('rejects an envelope that fails verify as bad-signature, and hands on the good ones', async () => {
        const t = transport();
        const topic = unique('verify');
        const handled: unknown[] = [];
        const rejections: Rejection[] = [];
        consume(topic, (m) => void handled.push(m.payload), {
          group: unique('group'),
          verify: (m) => (m.payload === 'forged' ? new Error('signature does not match') : undefined),
          onRejected: (r) => {
            rejections.push(r);
            return 'ack';
          },
        });
        await t.publish(topic, envelope('forged'));
        await t.publish(topic, envelope('genuine'));
        await eventually(() => expect(handled).toEqual(['genuine']));
        expect(rejections.map((r) => [r.reason, r.error.message])).toEqual([['bad-signature', 'signature does not match']]);
      });

      it('by default an expired envelope is acked and counted', async () => {
        const t = transport();
        const topic = unique('ttl-default');
        const group = unique('group');
        const handled: string[] = [];
        const c = consume(topic, (m) => void handled.push(m.id), { group });
        await t.publish(topic, envelope('stale', { ts: Date.now() - 60_000, ttlMs: 1 }));
        await eventually(() => expect(c.counters().expired).toBe(1));
        await settled(topic, group);
        expect(handled).toEqual([]);
      });

      it('a handler error goes to onRejected with the error; returning ack settles the message', async () => {
        const t = transport();
        const topic = unique('rejected');
        const group = unique('group');
        const boom = new Error('boom');
        let calls = 0;
        const rejections: Rejection[] = [];
        const c = consume(
          topic,
          () => {
            calls++;
            throw boom;
          },
          {
            group,
            claimIdleMs: 100,
            claimIntervalMs: 50,
            onRejected: (r) => {
              rejections.push(r);
              return 'ack';
            },
          },
        );
        const sent = envelope('poison');
        const r = await t.publish(topic, sent);
        await eventually(() => expect(rejections).toHaveLength(1));
        expect(rejections[0]).toMatchObject({ reason: 'handler-error', streamId: r.streamId, deliveryCount: 1 });
        expect(rejections[0]!.error).toBe(boom);
        expect(rejections[0]!.envelope).toEqual(sent);
        await settled(topic, group);
        // Settled: not redelivered, although claimIdleMs passed several times.
        await sleep(350);
        expect(calls).toBe(1);
        expect(c.counters().failed).toBe(1);
      });
    });

    describe('dedupe and back-pressure', () => {
      it('concurrent deduped publishes to many topics in one tick all land (scripts routed by their keys, not their first argument)', async () => {
        const t = transport();
        const topics = Array.from({ length: 12 }, () => unique('many'));
        const results = await Promise.all(topics.map((topic) => t.publish(topic, envelope('x'), { dedupeWindowMs: 10_000 })));
        expect(results.map((r) => r.duplicate)).toEqual(topics.map(() => false));
        const stats = await Promise.all(topics.map((topic) => t.stats(topic)));
        expect(stats.map((st) => st.length)).toEqual(topics.map(() => 1));
      });

      it('dedupes a publish of the same envelope id inside the window: same streamId, consumed once', async () => {
        const t = transport();
        const topic = unique('dedupe');
        const group = unique('group');
        t.defineTopic(topic, { dedupeWindowMs: 30_000 });
        const sent = envelope('once');
        const first = await t.publish(topic, sent);
        const second = await t.publish(topic, sent);
        expect(first.duplicate).toBe(false);
        expect(second).toEqual({ ...first, duplicate: true });
        const [again] = await t.publishBatch(topic, [sent]);
        expect(again).toEqual({ ...first, duplicate: true });
        expect((await t.stats(topic)).length).toBe(1);

        const handled: string[] = [];
        consume(topic, (m) => void handled.push(m.id), { group });
        await eventually(() => expect(handled).toEqual([sent.id]));
        await settled(topic, group);
        expect(handled).toEqual([sent.id]);
      });

      it('dedupes by default: the same envelope published twice (a retry, a resent XADD) is one entry', async () => {
        const t = transport();
        const topic = unique('dedupe-default');
        const sent = envelope('resent');
        const first = await t.publish(topic, sent);
        const second = await t.publish(topic, sent);
        expect(second).toEqual({ ...first, duplicate: true });
        expect((await t.stats(topic)).length).toBe(1);
      });

      it('a publish with dedupeWindowMs 0 is never a duplicate', async () => {
        const t = transport();
        const topic = unique('dedupe-off');
        t.defineTopic(topic, { dedupeWindowMs: 30_000 });
        const sent = envelope('twice');
        const first = await t.publish(topic, sent);
        const second = await t.publish(topic, sent, { dedupeWindowMs: 0 });
        expect(second.duplicate).toBe(false);
        expect(second.streamId).not.toBe(first.streamId);
        expect((await t.stats(topic)).length).toBe(2);
      });

      it('refuses a publish past maxBacklog (all lanes) with BACKPRESSURE, writing nothing', async () => {
        const t = transport();
        const topic = unique('budget');
        t.defineTopic(topic, { maxBacklog: 5 });
        for (const e of envelopes(4)) await t.publish(topic, e);
        await t.publish(topic, envelope('urgent', { priority: 'urgent' }));
        const error: unknown = await t.publish(topic, envelope('one too many')).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isAgentbusError(error)).toBe(true);
        expect((error as { code?: string }).code).toBe('BACKPRESSURE');
        expect((error as { retryable?: boolean }).retryable).toBe(true);
        expect((await t.stats(topic)).length).toBe(5);
      });
    });

    describe('retention', () => {
      it("publish with { group } reaches that group only, and its inbox is trimmed like the lanes once acked", async () => {
        const t = transport();
        const topic = unique('inbox');
        const group = unique('group');
        const other = unique('group');
        const mine: string[] = [];
        const theirs: string[] = [];
        const a = consume(topic, (m) => void mine.push(m.id), { group });
        const b = consume(topic, (m) => void theirs.push(m.id), { group: other });
        await Promise.all([a.ready(), b.ready()]);
        for (const env of envelopes(5)) await t.publish(topic, env, { group });
        await eventually(() => expect(mine).toHaveLength(5));
        await sleep(300);
        expect(theirs).toEqual([]);
        await eventually(() => expect(a.counters().acked).toBe(5));
        await sleep(20);
        const r = await t.trim(topic, { maxAgeMs: 1 });
        expect(r.trimmed).toBeGreaterThanOrEqual(5);
      });

      it('trim by maxLen removes acked entries and never one a group has not acked', async () => {
        const t = transport();
        const topic = unique('trim');
        const group = unique('group');
        const sent = envelopes(5);
        const results = await t.publishBatch(topic, sent);
        const hung = sent[2]!.id;
        const first = consume(topic, (m) => (m.id === hung ? never() : undefined), { group, concurrency: 1 });
        // Entries 1 and 2 acked; 3 hangs in its handler; 4 and 5 pending (read ahead) or undelivered.
        await eventually(async () => {
          expect(first.counters().acked).toBe(2);
          const g = await groupStats(topic, group);
          expect(g.pending + (g.lag ?? 0)).toBe(3);
        });

        expect(await t.trim(topic, { maxLen: 1 })).toEqual({ trimmed: 2, droppedUnacked: 0 });
        const stats = await t.stats(topic);
        expect(stats.length).toBe(3);
        expect(stats.firstId).toBe(results[2]!.streamId);
        expect(stats.droppedUnacked).toBe(0);

        // Nothing unacked was lost: another consumer of the group gets all three.
        await first.close(0);
        const got: string[] = [];
        consume(topic, (m) => void got.push(m.id), { group, claimIdleMs: 100, claimIntervalMs: 50 });
        await eventually(() => expect([...got].sort()).toEqual(sent.slice(2).map((e) => e.id).sort()));
      });

      it('a hard cap removes entries regardless and reports those dropped unacked', async () => {
        const t = transport();
        const topic = unique('hardcap');
        const group = unique('group');
        const sent = envelopes(5);
        const results = await t.publishBatch(topic, sent);
        const c = consume(topic, (m) => (m.id === sent[0]!.id ? undefined : never()), { group, concurrency: 1 });
        await eventually(async () => {
          expect(c.counters().acked).toBe(1);
          expect(c.inFlight()).toBe(1);
          const g = await groupStats(topic, group);
          expect(g.pending + (g.lag ?? 0)).toBe(4);
        });
        // Drops entry 1 (acked), 2 (in its handler) and 3 (pending or undelivered).
        expect(await t.trim(topic, { hardMaxLen: 2 })).toEqual({ trimmed: 3, droppedUnacked: 2 });
        const stats = await t.stats(topic);
        expect(stats.length).toBe(2);
        expect(stats.firstId).toBe(results[3]!.streamId);
        expect(stats.droppedUnacked).toBe(2);
      });

      it('lag counts only entries still in the stream: after a hard-cap drop, a group that read everything left has lag 0', async () => {
        const t = transport();
        const topic = unique('hardcap-lag');
        const group = unique('group');
        await t.publishBatch(topic, envelopes(20));
        const slow = consume(topic, () => never(), { group, concurrency: 1 });
        await eventually(async () => expect((await groupStats(topic, group)).pending).toBe(2));
        // Drops the 2 entries held by the slow consumer and 13 it never read.
        expect(await t.trim(topic, { hardMaxLen: 5 })).toEqual({ trimmed: 15, droppedUnacked: 15 });
        // Its last delivered entry lies before the first one left: all 5 left are lag.
        expect((await groupStats(topic, group)).lag).toBe(5);
        await slow.close(0);
        const handled: string[] = [];
        consume(topic, (m) => void handled.push(m.id), { group });
        await eventually(() => expect(handled).toHaveLength(5));
        await eventually(async () => expect((await groupStats(topic, group)).lag).toBe(0));
      });

      it('with acks out of order, maxLen removes only what an earlier trim proved to be acked', async () => {
        const t = transport();
        const topic = unique('trim-ooo');
        const group = unique('group');
        const sent = envelopes(6);
        const results = await t.publishBatch(topic, sent.slice(0, 3));
        // Nothing to trim yet, but this trim remembers where the stream ended (entry 3).
        expect(await t.trim(topic, { maxLen: 100 })).toEqual({ trimmed: 0, droppedUnacked: 0 });
        results.push(...(await t.publishBatch(topic, sent.slice(3))));
        const hung = sent[4]!.id;
        const c = consume(topic, (m) => (m.id === hung ? never() : undefined), { group, concurrency: 6 });
        // Entry 5 hangs; 1-4 and 6 are acked: a count of what is pending or undelivered says 1,
        // not how many entries sit from entry 5 on.
        await eventually(async () => {
          expect(c.counters().acked).toBe(5);
          const g = await groupStats(topic, group);
          expect(g.pending).toBe(1);
          expect(g.lag ?? 0).toBe(0);
        });

        // From entry 3 on there are 4 entries, so at most 4 from entry 5 on: MAXLEN 5 is safe.
        expect(await t.trim(topic, { maxLen: 5 })).toEqual({ trimmed: 1, droppedUnacked: 0 });
        // MAXLEN 2 might cut into entry 5; trimming to entry 3 keeps 4 >= 2 and is safe.
        expect(await t.trim(topic, { maxLen: 2 })).toEqual({ trimmed: 1, droppedUnacked: 0 });
        expect(await t.trim(topic, { maxLen: 2 })).toEqual({ trimmed: 0, droppedUnacked: 0 });
        const stats = await t.stats(topic);
        expect(stats.length).toBe(4);
        expect(stats.firstId).toBe(results[2]!.streamId);
      });

      it('refuses a negative retention value, naming it', async () => {
        const t = transport();
        const topic = unique('trim-bad');
        await t.publish(topic, envelope(1));
        await expect(t.trim(topic, { maxLen: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('maxLen') });
        expect(() => t.defineTopic(topic, { retention: { hardMaxLen: Number.NaN } })).toThrow(/retention\.hardMaxLen/);
      });
    });

    describe('stats', () => {
      it('reports length, first and last id, and per group pending, lag and consumers', async () => {
        const t = transport();
        const topic = unique('stats');
        const group = unique('group');
        const results = await t.publishBatch(topic, envelopes(3));
        await t.publish(topic, envelope('urgent', { priority: 'urgent' }));
        const consumer = unique('consumer');
        const c = consume(topic, () => never(), { group, consumer, concurrency: 1 });
        await eventually(() => expect(c.inFlight()).toBe(1));

        const stats = await t.stats(topic);
        expect(stats).toMatchObject({
          topic,
          partitions: 1,
          length: 4,
          firstId: results[0]!.streamId,
          lastId: results[2]!.streamId,
          droppedUnacked: 0,
        });
        const g = stats.groups.find((x) => x.name === group)!;
        // One entry in its handler, maybe more read ahead: all pending on this consumer.
        expect(g.pending).toBeGreaterThanOrEqual(1);
        if (g.lag !== null) expect(g.pending + g.lag).toBe(4);
        expect(g.lastDeliveredId).toMatch(/^\d+-\d+$/);
        expect(g.consumers).toEqual([expect.objectContaining({ name: consumer, pending: g.pending })]);
        expect(g.consumers[0]!.idleMs).toBeGreaterThanOrEqual(0);
        const normal = stats.streams.find((s) => s.lane === 'normal');
        const urgent = stats.streams.find((s) => s.lane === 'urgent');
        expect(normal).toMatchObject({ stream: t.keys.lane(topic, 'normal'), length: 3 });
        expect(urgent).toMatchObject({ stream: t.keys.lane(topic, 'urgent'), length: 1 });
      });

      it('a topic never written to is empty', async () => {
        const stats = await transport().stats(unique('empty'));
        expect(stats).toMatchObject({ length: 0, firstId: null, lastId: null, groups: [], droppedUnacked: 0 });
      });
    });

    describe('pubsub', () => {
      it('delivers a published envelope to a subscriber with the channel name as given', async () => {
        const t = transport();
        const channel = unique('channel');
        const got: Array<[Envelope, string]> = [];
        const sub = t.pubsub.subscribe(channel, (m, ch) => void got.push([m, ch]));
        subscriptions.push(sub);
        await sub.ready();
        expect(sub.channel).toBe(channel);
        const sent = envelope({ hello: 'world' });
        const receivers = await t.pubsub.publish(channel, sent);
        if (!capabilities.cluster) expect(receivers).toBe(1);
        await eventually(() => expect(got).toEqual([[sent, channel]]));
      });

      it.skipIf(capabilities.shardedPubSub)('psubscribe receives what matches the pattern, with the concrete channel', async () => {
        const t = transport();
        const base = unique('room');
        const got: Array<[string, string]> = [];
        const sub = t.pubsub.psubscribe(`${base}.*`, (m, ch) => void got.push([m.id, ch]));
        subscriptions.push(sub);
        await sub.ready();
        const [a, other, b] = envelopes(3);
        await t.pubsub.publish(`${base}.a`, a!);
        await t.pubsub.publish(`${base}-not`, other!);
        await t.pubsub.publish(`${base}.b`, b!);
        await eventually(() => expect(got).toHaveLength(2));
        expect(got.sort()).toEqual(
          [
            [a!.id, `${base}.a`],
            [b!.id, `${base}.b`],
          ].sort(),
        );
      });

      it.runIf(capabilities.shardedPubSub)('sharded Pub/Sub refuses a pattern subscription with a clear error', () => {
        expect(() => transport().pubsub.psubscribe('any.*', () => undefined)).toThrow(/pubsubMode: 'classic'/);
      });

      it('a handler that throws does not stop the other subscribers of the channel', async () => {
        const t = transport();
        const channel = unique('channel');
        const got: string[] = [];
        const errors: Error[] = [];
        const failing = t.pubsub.subscribe(channel, () => {
          throw new Error('handler bug');
        }, { onError: (e) => void errors.push(e) });
        const working = t.pubsub.subscribe(channel, (m) => void got.push(m.id));
        subscriptions.push(failing, working);
        await Promise.all([failing.ready(), working.ready()]);
        const [m] = envelopes(1);
        await t.pubsub.publish(channel, m!);
        await eventually(() => expect(got).toEqual([m!.id]));
        expect(errors.map((e) => e.message)).toEqual(['handler bug']);
      });

      it('unsubscribe stops delivery to that subscription only', async () => {
        const t = transport();
        const channel = unique('channel');
        const left: string[] = [];
        const stayed: string[] = [];
        const leaving = t.pubsub.subscribe(channel, (m) => void left.push(m.id));
        const staying = t.pubsub.subscribe(channel, (m) => void stayed.push(m.id));
        subscriptions.push(leaving, staying);
        await Promise.all([leaving.ready(), staying.ready()]);
        const [before, after] = envelopes(2);
        await t.pubsub.publish(channel, before!);
        await eventually(() => expect(left).toEqual([before!.id]));
        await leaving.unsubscribe();
        await t.pubsub.publish(channel, after!);
        await eventually(() => expect(stayed).toEqual([before!.id, after!.id]));
        expect(left).toEqual([before!.id]);
      });
    });

    describe('a second process (peer)', () => {
      it('receives Pub/Sub published by the first', async () => {
        const t = transport();
        const p = await peer();
        const channel = unique('channel');
        const got: string[] = [];
        const sub = p.pubsub.subscribe(channel, (m) => void got.push(m.id));
        subscriptions.push(sub);
        await sub.ready();
        const sent = envelope('across');
        await t.pubsub.publish(channel, sent);
        await eventually(() => expect(got).toEqual([sent.id]));
      });

      it('consumes what the first published, and shares a group with it: each message handled once', async () => {
        const t = transport();
        const p = await peer();
        const topic = unique('peer');
        const group = unique('group');
        const handled = new Map<string, number>();
        const handler: Handler = async (m) => {
          handled.set(m.id, (handled.get(m.id) ?? 0) + 1);
          await new Promise((r) => setImmediate(r));
        };
        // First only the peer consumes: it sees what the first process published.
        const onPeer = consume(topic, handler, { group, concurrency: 2 }, p);
        const fromFirst = envelopes(10);
        await t.publishBatch(topic, fromFirst);
        await eventually(() => expect(onPeer.counters().acked).toBe(10));
        // Then both consume the same group.
        const onFirst = consume(topic, handler, { group, concurrency: 2 });
        await onFirst.ready();
        await p.publishBatch(topic, envelopes(10));
        await t.publishBatch(topic, envelopes(10));
        await eventually(() => expect(onPeer.counters().acked + onFirst.counters().acked).toBe(30));
        await settled(topic, group, p);
        expect(handled.size).toBe(30);
        expect([...handled.values()].every((n) => n === 1)).toBe(true);
        expect((await t.stats(topic)).length).toBe(30);
        expect((await p.stats(topic)).length).toBe(30);
      });
    });

    describe('health', () => {
      it('reports ok for its backend and declares the capabilities the suite ran with', async () => {
        const t = transport();
        const health = await t.health();
        expect(health.ok).toBe(true);
        expect(health.backend).toBe(t.backend);
        expect(health.latencyMs).toBeGreaterThanOrEqual(0);
        expect(t.capabilities).toEqual(capabilities);
      });
    });
  });
}
