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

export interface RawOptions {
  url: string;
  /** XREADGROUP COUNT. */
  readCount: number;
}

type XReadGroupReply = [stream: string, entries: [id: string, fields: string[] | null][]][] | null;

const GROUP = 'bench';
const CONSUMER = 'bench-1';

/**
 * The practical ceiling: what ioredis does with no library around it. Pipelined XADD of the
 * envelope JSON; one consumer loop of XREADGROUP COUNT n BLOCK, JSON.parse of each entry (the
 * "handler"), then one XACK for the batch, sent without waiting (it is pipelined ahead of the
 * next read on the same connection).
 */
export function rawContender(factory: EnvelopeFactory, options: RawOptions): Contender {
  // RESP2, as @agentbus/transport uses (ioredis 6 defaults to RESP3, whose XREADGROUP reply is a map).
  const pub = new Redis(options.url, { protocol: 2 });
  const sub = new Redis(options.url, { protocol: 2 });
  for (const c of [pub, sub]) c.on('error', () => undefined);

  const keyOf = (tag: string) => `bench:raw:{${tag}}`;

  /** Consumes until `target()` entries were read or `stop()`; counts acks as they are confirmed. */
  function startConsumer(key: string, latencies: SampleBuffer, target: () => number) {
    const state = { received: 0, acked: 0, stopped: false, error: undefined as unknown };
    const acks: Promise<unknown>[] = [];
    const loop = (async () => {
      while (!state.stopped && state.received < target()) {
        const reply = (await sub.call(
          'XREADGROUP', 'GROUP', GROUP, CONSUMER, 'COUNT', options.readCount, 'BLOCK', 100, 'STREAMS', key, '>',
        )) as XReadGroupReply;
        if (!reply) continue;
        for (const [, entries] of reply) {
          const ids: string[] = new Array(entries.length);
          for (let i = 0; i < entries.length; i++) {
            const [id, fields] = entries[i] as [string, string[] | null];
            // The handler: parse the envelope, take its latency.
            latencies.push(latencyOf(JSON.parse(fields?.[1] ?? '{"payload":{"t":0}}') as { payload: unknown }));
            ids[i] = id;
          }
          state.received += ids.length;
          acks.push(
            sub.xack(key, GROUP, ...ids).then((n) => {
              state.acked += n;
            }),
          );
        }
      }
      await Promise.all(acks);
    })().catch((e: unknown) => {
      state.error = e;
    });
    return { state, loop };
  }

  const contender: Contender = {
    name: 'raw',
    label: 'raw ioredis (XADD pipeline + XREADGROUP/XACK)',
    settings: () => ({ client: 'ioredis', readCount: options.readCount, ackMode: 'one XACK per read, pipelined' }),

    async warmup(spec) {
      await contender.throughput(spec);
    },

    async throughput(spec: ThroughputSpec): Promise<ThroughputResult> {
      const key = keyOf(spec.tag);
      await pub.xgroup('CREATE', key, GROUP, '0', 'MKSTREAM');
      const latencies = new SampleBuffer(spec.messages);
      let published = spec.messages;
      const consumer = startConsumer(key, latencies, () => published);

      const t0 = performance.now();
      const deadline = t0 + spec.timeoutMs;
      let sent = 0;
      while (sent < spec.messages && performance.now() < deadline) {
        const k = Math.min(spec.batch, spec.messages - sent);
        const p = pub.pipeline();
        for (let j = 0; j < k; j++) p.xadd(key, '*', 'env', JSON.stringify(factory.make(sent + j)));
        const results = await p.exec();
        const failed = results?.find(([e]) => e);
        if (failed) throw failed[0] as Error;
        sent += k;
      }
      published = sent;
      const tPublished = performance.now();
      await waitFor(() => consumer.state.acked >= published || consumer.state.error !== undefined, deadline - performance.now());
      const tEnd = performance.now();
      consumer.state.stopped = true;
      await consumer.loop;
      if (consumer.state.error !== undefined) throw consumer.state.error;
      return throughputResult(t0, tPublished, tEnd, published, Math.min(consumer.state.acked, published), latencies);
    },

    async paced(spec: PacedSpec): Promise<PacedResult> {
      const key = keyOf(spec.tag);
      await pub.xgroup('CREATE', key, GROUP, '0', 'MKSTREAM');
      const latencies = new SampleBuffer(spec.messages);
      let published = spec.messages;
      const consumer = startConsumer(key, latencies, () => published);
      const deadline = performance.now() + spec.timeoutMs;
      published = await publishPaced(spec, (seq) => pub.xadd(key, '*', 'env', JSON.stringify(factory.make(seq))));
      await waitFor(() => consumer.state.acked >= published || consumer.state.error !== undefined, deadline - performance.now());
      consumer.state.stopped = true;
      await consumer.loop;
      if (consumer.state.error !== undefined) throw consumer.state.error;
      return pacedResult(published, consumer.state.received, latencies);
    },

    async sequentialPublish(tag, count) {
      const key = keyOf(tag);
      return timeSequential(count, (seq) => pub.xadd(key, '*', 'env', JSON.stringify(factory.make(seq))));
    },

    async close() {
      await Promise.allSettled([pub.quit(), sub.quit()]);
    },
  };
  return contender;
}
