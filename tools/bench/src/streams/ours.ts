import type { ConsumeOptions, Consumer, Transport, TransportHooks } from '@agentbus/transport';
import { Redis } from 'ioredis';
import { SampleBuffer } from '../stats';
import {
  latencyOf,
  pacedResult,
  publishPaced,
  throughputResult,
  timeSequential,
  waitFor,
  type Contender,
  type EnvelopeFactory,
  type PacedResult,
  type PacedSpec,
  type ThroughputResult,
  type ThroughputSpec,
} from './common';

export interface OursOptions {
  url: string;
  namespace: string;
  concurrency: number;
  prefetch: number;
  /**
   * What runs around the transport: nothing (`ours`), the same with the consumer's leases off
   * (`ours-nolease`), @agentbus/metrics' transport hooks (`ours+metrics`), or consuming through
   * @agentbus/reliability's `createReliability` with retries, dead letters and poison detection
   * on and no failure (`ours+reliability`), or with publish dedupe on at the transport's default
   * window (`ours+dedupe`); every other variant publishes with dedupe off, as raw does.
   */
  variant?: OursVariant;
}

export type OursVariant = 'plain' | 'nolease' | 'metrics' | 'reliability' | 'dedupe';

const NAMES: Record<OursVariant, 'ours' | 'ours-nolease' | 'ours+metrics' | 'ours+reliability' | 'ours+dedupe'> = {
  plain: 'ours',
  nolease: 'ours-nolease',
  metrics: 'ours+metrics',
  reliability: 'ours+reliability',
  dedupe: 'ours+dedupe',
};

const LABELS: Record<OursVariant, string> = {
  plain: '@agentbus/transport (publishBatch + consume)',
  nolease: '@agentbus/transport, consumer leases off (leaseRenewMs: 0)',
  metrics: '@agentbus/transport + @agentbus/metrics transportHooks()',
  reliability: '@agentbus/transport consumed through @agentbus/reliability',
  dedupe: '@agentbus/transport with publish dedupe by envelope id (the default window)',
};

export const GROUP = 'bench';
const CONSUMER = 'bench-1';

/**
 * The consume options of a variant. Every variant keeps the transport's lease defaults
 * (leases on: renewed every claimIdleMs / 3) except `nolease`, which only adds `leaseRenewMs: 0`:
 * `ours` vs `ours-nolease` is what the leases cost.
 */
export function consumeOptionsOf(variant: OursVariant, options: Pick<OursOptions, 'concurrency' | 'prefetch'>): ConsumeOptions {
  return {
    group: GROUP,
    consumer: CONSUMER,
    concurrency: options.concurrency,
    prefetch: options.prefetch,
    ...(variant === 'nolease' ? { leaseRenewMs: 0 } : {}),
  };
}

/** The hooks and consume of a variant; metrics and reliability are loaded only when asked for. */
interface Variant {
  hooks: TransportHooks | undefined;
  /** Checks after a run that the variant really was on (the hooks counted every message). */
  verify(topic: string, published: number): Promise<void>;
  consume(transport: Transport): Transport['consume'];
  close(): Promise<void>;
}

async function loadVariant(variant: OursVariant): Promise<Variant> {
  if (variant === 'metrics') {
    const { createMetrics, METRIC_NAMES } = await import('@agentbus/metrics');
    const metrics = createMetrics();
    return {
      hooks: metrics.transportHooks(),
      async verify(topic, published) {
        const text = await metrics.metrics();
        const line = text.split('\n').find((l) => l.startsWith(`${METRIC_NAMES.published}{topic="${topic}"}`));
        const counted = Number(line?.split(' ')[1]);
        if (counted !== published) throw new Error(`metrics counted ${counted} published on ${topic}, expected ${published}`);
      },
      consume: (transport) => transport.consume.bind(transport),
      async close() {
        metrics.close();
      },
    };
  }
  if (variant === 'reliability') {
    const { createReliability } = await import('@agentbus/reliability');
    let reliability: ReturnType<typeof createReliability> | undefined;
    return {
      hooks: undefined,
      async verify() {},
      consume(transport) {
        reliability ??= createReliability(transport);
        return reliability.consume.bind(reliability);
      },
      async close() {
        await reliability?.close();
      },
    };
  }
  return { hooks: undefined, async verify() {}, consume: (transport) => transport.consume.bind(transport), async close() {} };
}

/**
 * @agentbus/transport's Redis backend, used as an application would: `publishBatch` /
 * `publish` of envelopes and one `consume` group consumer whose handler records the latency.
 * Loaded lazily, so the other contenders still run when the transport cannot be loaded.
 */
export async function oursContender(factory: EnvelopeFactory, options: OursOptions): Promise<Contender> {
  const mod = await import('@agentbus/transport');
  if (typeof mod.createRedisTransport !== 'function') {
    throw new Error('@agentbus/transport does not export createRedisTransport');
  }
  const kind = options.variant ?? 'plain';
  const variant = await loadVariant(kind);
  const transport: Transport = mod.createRedisTransport({
    url: options.url,
    namespace: options.namespace,
    ...(variant.hooks ? { hooks: variant.hooks } : {}),
    // Raw XADD does not dedupe: only ours+dedupe pays for it, at the default window.
    ...(kind === 'dedupe' ? {} : { topicDefaults: { dedupeWindowMs: 0 } }),
  });
  const consume = variant.consume(transport);
  const consumeOptions = consumeOptionsOf(kind, options);
  const defaults = mod.DEFAULT_CONSUME_OPTIONS as { claimIdleMs?: number; leaseRenewFraction?: number } | undefined;
  const leaseDefaults =
    defaults?.claimIdleMs !== undefined && defaults.leaseRenewFraction !== undefined
      ? `claimIdleMs ${defaults.claimIdleMs} ms, renewed every ${Math.floor(defaults.claimIdleMs * defaults.leaseRenewFraction)} ms`
      : 'defaults not exported';
  // A contender's name becomes part of the topic: `+` is not a topic character.
  const topicOf = (tag: string) => `bench.${tag.replace(/[^A-Za-z0-9._:-]/g, '-')}`;
  // The consumer counts an ack when it queues it; the bench counts it when Redis has it (as for
  // raw and BullMQ): it polls XPENDING on a connection of its own until nothing is pending.
  const probe = new Redis(options.url, { protocol: 2 });
  probe.on('error', () => undefined);

  async function allAcked(topic: string, consumer: Consumer, count: number, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    if (!(await waitFor(() => consumer.counters().acked >= count, timeoutMs))) return false;
    const stream = transport.keys.lane(topic, 'normal');
    while (performance.now() < deadline) {
      const [pending] = (await probe.xpending(stream, GROUP)) as [number, ...unknown[]];
      if (Number(pending) === 0) return true;
      await new Promise((r) => setImmediate(r));
    }
    return false;
  }

  function startConsumer(topic: string, latencies: SampleBuffer): Consumer {
    return consume(
      topic,
      (env) => {
        latencies.push(latencyOf(env));
      },
      consumeOptions,
    );
  }

  const contender: Contender = {
    name: NAMES[kind],
    label: LABELS[kind],
    settings: () => ({
      namespace: options.namespace,
      concurrency: options.concurrency,
      prefetch: options.prefetch,
      leases: kind === 'nolease' ? 'off (leaseRenewMs: 0)' : `on, the transport's defaults: ${leaseDefaults}`,
      api:
        kind === 'metrics'
          ? 'createRedisTransport({ hooks: createMetrics().transportHooks() }) -> publishBatch / consume'
          : kind === 'reliability'
            ? 'createRedisTransport -> publishBatch / createReliability(transport).consume'
            : 'createRedisTransport -> publishBatch / consume',
    }),

    async warmup(spec) {
      await contender.throughput(spec);
    },

    async throughput(spec: ThroughputSpec): Promise<ThroughputResult> {
      const topic = topicOf(spec.tag);
      const latencies = new SampleBuffer(spec.messages);
      const consumer = startConsumer(topic, latencies);
      try {
        await consumer.ready();
        const t0 = performance.now();
        const deadline = t0 + spec.timeoutMs;
        let sent = 0;
        while (sent < spec.messages && performance.now() < deadline) {
          const k = Math.min(spec.batch, spec.messages - sent);
          const envs = new Array(k);
          for (let j = 0; j < k; j++) envs[j] = factory.make(sent + j);
          await transport.publishBatch(topic, envs);
          sent += k;
        }
        const tPublished = performance.now();
        const complete = await allAcked(topic, consumer, sent, deadline - performance.now());
        const tEnd = performance.now();
        const acked = complete ? sent : Math.min(consumer.counters().acked, sent);
        await variant.verify(topic, sent);
        return throughputResult(t0, tPublished, tEnd, sent, acked, latencies);
      } finally {
        await consumer.close(5000);
      }
    },

    async paced(spec: PacedSpec): Promise<PacedResult> {
      const topic = topicOf(spec.tag);
      const latencies = new SampleBuffer(spec.messages);
      const consumer = startConsumer(topic, latencies);
      try {
        await consumer.ready();
        const deadline = performance.now() + spec.timeoutMs;
        const published = await publishPaced(spec, (seq) => transport.publish(topic, factory.make(seq)));
        await allAcked(topic, consumer, published, deadline - performance.now());
        return pacedResult(published, latencies.length, latencies);
      } finally {
        await consumer.close(5000);
      }
    },

    async sequentialPublish(tag, count) {
      const topic = topicOf(tag);
      return timeSequential(count, (seq) => transport.publish(topic, factory.make(seq)));
    },

    async close() {
      await variant.close();
      await transport.close();
      await probe.quit().catch(() => undefined);
    },
  };
  return contender;
}
