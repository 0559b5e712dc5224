import type { StreamBackend } from '../internal/stream-backend';
import type { HeldEntry } from './held-entry';

/**
 * Acks in batches: every ack of one tick goes out in one round trip (one XACK per stream). An
 * entry whose lease may have lapsed is acked through the lease script instead, which acks only
 * while the entry is still pending for this consumer, so a late ack never settles the delivery of
 * the consumer that took the entry over.
 */
export class AckBatcher {
  private pending = new Map<string, string[]>();
  private scheduled = false;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly backend: StreamBackend,
    private readonly group: string,
    private readonly consumer: string,
    private readonly report: (error: unknown) => void,
  ) {}

  ack(stream: string, id: string): void {
    let ids = this.pending.get(stream);
    if (!ids) {
      ids = [];
      this.pending.set(stream, ids);
    }
    ids.push(id);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Acks `entry` only if this consumer still owns it; resolves false when it did not. */
  ackChecked(entry: HeldEntry): Promise<boolean> {
    const done = this.chain.then(async () => {
      const lost = await this.backend.lease(entry.lane.stream, this.group, this.consumer, [entry.id], 'ack');
      return lost.length === 0;
    });
    this.chain = done.then(
      () => undefined,
      () => undefined,
    );
    return done;
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    // A failed ack leaves the entry pending, and it is redelivered: at-least-once.
    this.chain = this.chain.then(() => this.backend.ack(this.group, batch).catch(this.report));
  }

  /** Flushes and waits for every ack sent so far. */
  async drain(): Promise<void> {
    this.flush();
    await this.chain;
  }
}
