import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { AgentbusError, ERROR_CODES, type EnvelopeCodecOptions, type KeyBuilder, type Priority } from '@agentbus/schema';
import type { MembershipBackend, StreamBackend } from '../internal/stream-backend';
import { DEFAULT_CONSUME_OPTIONS } from '../options';
import type { ConsumeOptions, Consumer, ConsumerCounters, Handler, TransportHooks } from '../types';
import { AckBatcher } from './ack-batcher';
import { DeliveryWindow } from './delivery-window';
import { Dispatcher } from './dispatcher';
import type { PartitionReader } from './held-entry';
import { LeaseKeeper } from './lease-keeper';
import { PartitionOwner } from './partition-owner';
import { makeReader, runReader, type ReaderContext } from './partition-reader';
import { Reclaimer } from './reclaimer';

export interface ConsumerDeps {
  streams: StreamBackend;
  membership: MembershipBackend;
  keys: KeyBuilder;
  codec: EnvelopeCodecOptions;
  hooks: TransportHooks;
  partitions: number;
}

let consumerSeq = 0;

/** A consumer name unique in the group: REDIS_CONSUMER, else host-pid-n. */
export function defaultConsumerName(): string {
  consumerSeq += 1;
  const base = process.env.REDIS_CONSUMER ?? `${hostname()}-${process.pid}`;
  return consumerSeq === 1 && process.env.REDIS_CONSUMER ? base : `${base}-${consumerSeq}`;
}

function lanesOf(options: ConsumeOptions): Array<[Priority, number]> {
  const lanes = (Object.entries(options.lanes ?? DEFAULT_CONSUME_OPTIONS.lanes) as [Priority, number][]).filter(([, w]) => w > 0);
  if (lanes.length === 0) {
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, 'consume: `lanes` gives no lane a weight above 0');
  }
  return lanes;
}

/**
 * A consumer-group consumer, put together from its parts: partition readers (reading), a lease
 * keeper (renewing what it holds), a reclaimer (taking over dead consumers' entries), a dispatcher
 * (running handlers, acking), a delivery window (one budget over lanes and partitions) and, on a
 * partitioned topic, a partition owner (fenced handover between consumers).
 */
export function createConsumer(topic: string, handler: Handler, options: ConsumeOptions, deps: ConsumerDeps): Consumer {
  const o = { ...DEFAULT_CONSUME_OPTIONS, ...options };
  if (!options.group) throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, 'consume: `group` is required');
  const lanes = lanesOf(options);
  const group = options.group;
  const name = options.consumer ?? defaultConsumerName();
  const concurrency = Math.max(1, o.concurrency);
  const prefetch = Math.max(0, options.prefetch ?? concurrency);
  const renewMs = Math.max(0, options.leaseRenewMs ?? Math.floor(o.claimIdleMs * DEFAULT_CONSUME_OPTIONS.leaseRenewFraction));
  const { streams: backend, keys, hooks } = deps;
  const partitioned = deps.partitions > 1;
  const report = (error: unknown) => options.onError?.(error instanceof Error ? error : new Error(String(error)));
  const counters: ConsumerCounters = { delivered: 0, acked: 0, failed: 0, expired: 0, invalid: 0, reclaimed: 0, leaseLost: 0, deleted: 0 };
  const readers = new Map<number, PartitionReader>();
  let running = true;
  let abandoned = false;
  const isRunning = () => running;
  const partitionTopic = (p: number) => (partitioned ? keys.partition(topic, p) : topic);

  const keeper: LeaseKeeper = new LeaseKeeper({
    backend, group, consumer: name, renewMs, claimIdleMs: o.claimIdleMs, report,
    // The partition lease lives 3 intervals and is renewed every one.
    fenceSafeMs: o.membershipIntervalMs * 2,
    onLost: (entries) => dispatcher.lost(entries),
  });
  const window = new DeliveryWindow(concurrency + prefetch, concurrency, partitioned, keeper);
  const acks = new AckBatcher(backend, group, name, report);
  const dispatcher = new Dispatcher({
    topic, group, consumer: name, handler, codec: deps.codec, hooks, counters, window, keeper, acks,
    onRejected: options.onRejected,
    maxDeliveries: options.maxDeliveries,
    verify: options.verify,
    handlerTimeoutMs: options.handlerTimeoutMs,
    running: isRunning,
    abandoned: () => abandoned,
    report,
  });
  const pump = () => dispatcher.pump();

  const readerCtx: ReaderContext = {
    backend, keys, group, consumer: name, lanes, blockMs: o.blockMs, startId: o.startId, window,
    lowWater: Math.max(1, Math.floor((concurrency + prefetch) / 2)),
    running: isRunning, pump, report,
    onFenced: (reader) => owner?.fenced(reader.partition),
  };

  function startReader(p: number, fence?: { key: string; token: string }): void {
    if (readers.has(p)) return;
    const reader = makeReader(readerCtx, p, partitionTopic(p), fence);
    readers.set(p, reader);
    window.setReaders(readers.values());
    reader.loop = runReader(readerCtx, reader);
  }

  /** Stops a reader, drops its buffer; resolves once none of its entries runs. */
  async function stopReader(p: number): Promise<void> {
    const reader = readers.get(p);
    if (!reader) return;
    reader.active = false;
    reader.abort.abort();
    readers.delete(p);
    window.drop(reader);
    window.setReaders(readers.values());
    window.wakeRoom();
    backend.releaseReader?.(reader.key);
    await reader.loop?.catch(() => undefined);
    while ([...dispatcher.running].some((e) => e.lane.reader === reader)) await window.waitForRoom();
  }

  const owner = partitioned
    ? new PartitionOwner({
        backend, membership: deps.membership, group, consumer: name,
        token: `${name}#${randomUUID()}`,
        partitions: deps.partitions,
        membersKey: keys.topic(topic, 'members'),
        leaseKey: (p) => keys.group(partitionTopic(p), group, 'owner'),
        intervalMs: o.membershipIntervalMs,
        streamsOf: (p) => [...lanes.map(([l]) => keys.lane(partitionTopic(p), l)), keys.group(partitionTopic(p), group, 'inbox')],
        readers, startReader, stopReader, running: isRunning, report,
      })
    : undefined;
  const reclaimer = new Reclaimer({
    backend, topic, group, consumer: name, claimIdleMs: o.claimIdleMs, reapIdleMs: o.reapIdleMs, window, counters, hooks,
    readers: () => readers.values(), running: isRunning, pump, report,
  });

  let claimTimer: NodeJS.Timeout | undefined;
  let memberTimer: NodeJS.Timeout | undefined;
  const readyPromise = (async () => {
    keeper.start();
    if (owner) {
      await owner.tick();
      memberTimer = setInterval(() => void owner.tick(), o.membershipIntervalMs);
      memberTimer.unref?.();
    } else startReader(0);
    // Ready once the groups exist: a group created at `$` after ready() could miss a publish.
    await Promise.all([...readers.values()].map((r) => r.groupsReady?.catch(() => undefined)));
    claimTimer = setInterval(() => void reclaimer.pass(), o.claimIntervalMs);
    claimTimer.unref?.();
    void reclaimer.pass();
  })();
  readyPromise.catch(report);

  return {
    topic,
    group,
    name,
    ready: () => readyPromise,
    inFlight: () => window.inFlight,
    partitions: () => [...readers.keys()].sort((a, b) => a - b),
    counters: () => ({ ...counters }),
    async close(deadlineMs = 30_000) {
      if (!running) return;
      running = false;
      if (claimTimer) clearInterval(claimTimer);
      if (memberTimer) clearInterval(memberTimer);
      await readyPromise.catch(() => undefined);
      const loops = [...readers.values()].map((r) => r.loop);
      for (const r of [...readers.values()]) {
        r.active = false;
        r.abort.abort();
        window.drop(r);
        backend.releaseReader?.(r.key);
      }
      window.wakeRoom();
      // Leases stay renewed while the running handlers finish.
      if (window.inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<void>((r) => {
          timer = setTimeout(r, deadlineMs);
        });
        await Promise.race([window.waitIdle(), deadline]);
        if (timer) clearTimeout(timer);
        if (window.inFlight > 0) {
          abandoned = true;
          dispatcher.abortAll(new AgentbusError(ERROR_CODES.CLOSED, `consumer ${name} closed: deadline of ${deadlineMs} ms passed`));
        }
      }
      await keeper.stop();
      await acks.drain();
      await Promise.all(loops);
      await owner?.releaseAll();
      readers.clear();
    },
  };
}
