import {
  AgentbusError,
  decodeEnvelope,
  ERROR_CODES,
  isExpired,
  type Envelope,
  type EnvelopeCodecOptions,
  type Priority,
} from '@agentbus/schema';
import type { ConsumerCounters, Handler, RejectReason, Rejection, RejectionHandler, RejectionOutcome, TransportHooks } from '../types';
import type { AckBatcher } from './ack-batcher';
import { Delivery } from './delivery';
import { attemptOf, parseHeaders } from './delivery-headers';
import type { DeliveryWindow } from './delivery-window';
import type { HeldEntry } from './held-entry';
import type { LeaseKeeper } from './lease-keeper';

// Without an onRejected (the reliability package gives one with dead letters), what cannot
// ever succeed is acked and counted; what might succeed later stays pending.
const DEFAULT_REJECTION: Record<RejectReason, RejectionOutcome> = {
  invalid: 'ack',
  expired: 'ack',
  'bad-signature': 'ack',
  'handler-error': 'retry',
  poison: 'retry',
};

export interface DispatcherDeps {
  topic: string;
  group: string;
  consumer: string;
  handler: Handler;
  codec: EnvelopeCodecOptions;
  hooks: TransportHooks;
  counters: ConsumerCounters;
  window: DeliveryWindow;
  keeper: LeaseKeeper;
  acks: AckBatcher;
  onRejected: RejectionHandler | undefined;
  maxDeliveries: number | undefined;
  verify: ((env: Envelope) => Error | undefined) | undefined;
  handlerTimeoutMs: number | undefined;
  running: () => boolean;
  /** True once close() gave up waiting: outcomes are no longer acked (the entries are reclaimed). */
  abandoned: () => boolean;
  report: (error: unknown) => void;
}

/**
 * Runs deliveries: decodes and checks each entry, calls the handler with its context, and settles
 * the outcome (ack, or onRejected), never for an entry whose lease was lost. A handler that
 * returns synchronously is settled in the same tick, with no promise allocated.
 */
export class Dispatcher {
  private pumping = false;
  readonly running = new Set<HeldEntry>();

  constructor(private readonly d: DispatcherDeps) {}

  /**
   * Starts handlers while there is room. Re-entrant calls (a handler that finished synchronously
   * settles inside the loop) return at once and the outer loop goes on: no recursion.
   */
  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.d.running()) {
        const entry = this.d.window.next();
        if (!entry) return;
        this.start(entry);
      }
    } finally {
      this.pumping = false;
    }
  }

  /** The lease on these entries was lost: their handlers are told, their outcomes will not count. */
  lost(entries: readonly HeldEntry[]): void {
    for (const e of entries) {
      e.delivery?.abort(new AgentbusError(ERROR_CODES.LEASE_LOST, this.lostMessage(e)));
    }
    this.countLost(entries.length);
  }

  /** Aborts every running handler (close deadline passed). */
  abortAll(reason: Error): void {
    for (const e of this.running) e.delivery?.abort(reason);
  }

  private countLost(n: number): void {
    if (n <= 0) return;
    this.d.counters.leaseLost += n;
    this.d.hooks.onLeaseLost?.(this.d.topic, this.d.group, n);
  }

  private lostMessage(e: HeldEntry): string {
    return `consumer ${this.d.consumer} lost the lease on entry ${e.id} of ${e.lane.stream} (group ${this.d.group}): another consumer took it over after it was idle claimIdleMs; raise claimIdleMs or keep the event loop free so leaseRenewMs renewals get through`;
  }

  private laneOf(entry: HeldEntry, env: Envelope | undefined): Priority {
    return entry.lane.lane === 'inbox' ? (env?.priority ?? 'normal') : entry.lane.lane;
  }

  private start(entry: HeldEntry): void {
    const d = this.d;
    d.counters.delivered++;
    this.running.add(entry);
    if (entry.raw === null) {
      const error = new AgentbusError(ERROR_CODES.INVALID_MESSAGE, `stream entry ${entry.id} has no env field`);
      return this.settleAfter(this.reject(entry, 'invalid', error, undefined), entry);
    }
    const decoded = decodeEnvelope(entry.raw, d.codec);
    if (!decoded.ok) return this.settleAfter(this.reject(entry, 'invalid', decoded.error, undefined), entry);
    const env = decoded.value;
    if (d.maxDeliveries !== undefined && entry.deliveryCount > d.maxDeliveries) {
      const error = new AgentbusError(
        ERROR_CODES.INVALID_MESSAGE,
        `envelope ${env.id} was delivered ${entry.deliveryCount} times, over maxDeliveries ${d.maxDeliveries}: it keeps failing its consumer`,
      );
      return this.settleAfter(this.reject(entry, 'poison', error, env), entry);
    }
    const bad = d.verify?.(env);
    if (bad) return this.settleAfter(this.reject(entry, 'bad-signature', bad, env), entry);
    if (isExpired(env)) {
      const error = new AgentbusError(
        ERROR_CODES.EXPIRED,
        `envelope ${env.id} expired ${Date.now() - env.ts - env.ttlMs!} ms ago (ttlMs ${env.ttlMs})`,
      );
      return this.settleAfter(this.reject(entry, 'expired', error, env), entry);
    }
    this.run(entry, env);
  }

  private run(entry: HeldEntry, env: Envelope): void {
    const d = this.d;
    const delivery = new Delivery(d.topic, d.group, d.consumer, this.laneOf(entry, env), entry, d.keeper);
    entry.delivery = delivery;
    d.hooks.onDeliver?.(d.topic, env, delivery);
    const started = d.hooks.onAck ? performance.now() : 0;
    if (d.handlerTimeoutMs !== undefined && d.handlerTimeoutMs > 0) {
      delivery.timer = setTimeout(() => {
        const error = new AgentbusError(
          ERROR_CODES.TIMEOUT,
          `handler of ${d.topic} (group ${d.group}) still running after handlerTimeoutMs ${d.handlerTimeoutMs} ms: entry ${entry.id}`,
        );
        delivery.abort(error);
        this.failed(entry, env, error);
      }, d.handlerTimeoutMs);
      delivery.timer.unref?.();
    }
    let result: void | Promise<void>;
    try {
      result = d.handler(env, delivery);
    } catch (error) {
      return this.failed(entry, env, error);
    }
    if (result && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(
        () => this.succeeded(entry, env, delivery, started),
        (error: unknown) => this.failed(entry, env, error),
      );
    } else this.succeeded(entry, env, delivery, started);
  }

  /** Takes the outcome once: false when it was taken already (timeout, lost lease). */
  private take(entry: HeldEntry): boolean {
    const delivery = entry.delivery;
    if (!delivery || delivery.settled) return false;
    delivery.settled = true;
    if (delivery.timer) clearTimeout(delivery.timer);
    return true;
  }

  private succeeded(entry: HeldEntry, env: Envelope, delivery: Delivery, started: number): void {
    if (!this.take(entry)) return;
    // After close gave up, the entry stays pending and is reclaimed: a late ack could race the new owner.
    if (!entry.lost && !this.d.abandoned()) {
      this.ack(entry, () => this.d.hooks.onAck?.(this.d.topic, env, delivery, performance.now() - started));
    }
    this.settle(entry);
  }

  private failed(entry: HeldEntry, env: Envelope, error: unknown): void {
    if (!this.take(entry)) return;
    const e = error instanceof Error ? error : new Error(String(error));
    this.settleAfter(this.reject(entry, 'handler-error', e, env), entry);
  }

  /** Acks plainly while the lease is surely still ours, else through the ownership check. */
  private ack(entry: HeldEntry, then?: () => void): void {
    const d = this.d;
    if (d.keeper.safeToAck(entry, performance.now())) {
      d.acks.ack(entry.lane.stream, entry.id);
      d.counters.acked++;
      then?.();
      return;
    }
    d.acks.ackChecked(entry).then(
      (owned) => {
        if (owned) {
          d.counters.acked++;
          then?.();
        } else {
          this.countLost(1);
          d.report(new AgentbusError(ERROR_CODES.LEASE_LOST, `${this.lostMessage(entry)}; its ack did not count`));
        }
      },
      d.report,
    );
  }

  private async reject(entry: HeldEntry, reason: RejectReason, error: Error, env: Envelope | undefined): Promise<void> {
    const d = this.d;
    if (entry.lost) return;
    if (reason === 'expired') d.counters.expired++;
    else if (reason === 'invalid' || reason === 'bad-signature') d.counters.invalid++;
    else d.counters.failed++;
    const rejection: Rejection = {
      reason,
      error,
      raw: entry.raw ?? '',
      headers: entry.headers ?? null,
      attempt: attemptOf(parseHeaders(entry.headers)),
      topic: d.topic,
      partition: entry.lane.reader.partition,
      lane: this.laneOf(entry, env),
      stream: entry.lane.stream,
      streamId: entry.id,
      deliveryCount: entry.deliveryCount,
      group: d.group,
      consumer: d.consumer,
      ...(env ? { envelope: env } : {}),
    };
    d.hooks.onReject?.(rejection);
    let outcome: RejectionOutcome = DEFAULT_REJECTION[reason];
    if (d.onRejected) {
      try {
        outcome = await d.onRejected(rejection);
      } catch (e) {
        // A failing rejection handler must not lose the message: leave it pending.
        d.report(e);
        outcome = 'retry';
      }
    }
    if (outcome === 'ack' && !d.abandoned() && !entry.lost) this.ack(entry);
  }

  private settle(entry: HeldEntry): void {
    this.running.delete(entry);
    this.d.window.done(entry);
    this.pump();
  }

  private settleAfter(promise: Promise<void>, entry: HeldEntry): void {
    promise.catch(this.d.report).then(() => this.settle(entry));
  }
}
