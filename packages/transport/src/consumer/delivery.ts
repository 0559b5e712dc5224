import type { Priority } from '@agentbus/schema';
import type { DeliveryContext, Headers } from '../types';
import { attemptOf } from './delivery-headers';

export interface DeliveryFields {
  topic: string;
  partition: number;
  streamId: string;
  deliveryCount: number;
  headers: Headers | undefined;
  lane: Priority;
  group: string;
  consumer: string;
}

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

  constructor(
    fields: DeliveryFields,
    private readonly renew: () => Promise<boolean>,
  ) {
    this.topic = fields.topic;
    this.partition = fields.partition;
    this.streamId = fields.streamId;
    this.deliveryCount = fields.deliveryCount;
    this.attempt = attemptOf(fields.headers);
    this.headers = fields.headers;
    this.lane = fields.lane;
    this.group = fields.group;
    this.consumer = fields.consumer;
  }

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    return this.controller.signal;
  }

  extend(): Promise<boolean> {
    return this.renew();
  }

  abort(reason: Error): void {
    this.controller ??= new AbortController();
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  get aborted(): boolean {
    return this.controller?.signal.aborted ?? false;
  }
}
