import type { Priority } from '@agentbus/schema';
import type { DeliveryContext, Headers } from '../types';
import { attemptOf, parseHeaders } from './delivery-headers';
import type { HeldEntry } from './held-entry';
import type { LeaseKeeper } from './lease-keeper';

/**
 * The context of one running handler. Its AbortController is made only when the handler reads
 * `signal` (or it must be aborted), so a fast handler that never looks pays nothing for it.
 */
export class Delivery implements DeliveryContext {
  readonly topic: string;
  readonly partition: number;
  readonly streamId: string;
  readonly deliveryCount: number;
  readonly attempt: number;
  readonly headers: Readonly<Headers> | undefined;
  readonly lane: Priority;
  readonly group: string;
  readonly consumer: string;
  /** The outcome was taken (handler settled, timed out, or the lease was lost). */
  settled = false;
  timer: NodeJS.Timeout | undefined;
  private controller: AbortController | undefined;

  // Built per delivery on the hot path: fields straight from the held entry, no closure.
  constructor(
    topic: string,
    group: string,
    consumer: string,
    lane: Priority,
    private readonly entry: HeldEntry,
    private readonly keeper: LeaseKeeper,
  ) {
    const headers = parseHeaders(entry.headers);
    this.topic = topic;
    this.partition = entry.lane.reader.partition;
    this.streamId = entry.id;
    this.deliveryCount = entry.deliveryCount;
    this.attempt = attemptOf(headers);
    this.headers = headers;
    this.lane = lane;
    this.group = group;
    this.consumer = consumer;
  }

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    return this.controller.signal;
  }

  extend(): Promise<boolean> {
    return this.keeper.extend(this.entry);
  }

  abort(reason: Error): void {
    this.controller ??= new AbortController();
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }
}
