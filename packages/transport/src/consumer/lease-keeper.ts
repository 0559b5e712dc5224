import type { StreamBackend } from '../internal/stream-backend';
import type { HeldEntry } from './held-entry';

export interface LeaseKeeperDeps {
  backend: StreamBackend;
  group: string;
  consumer: string;
  /** Renewal period; 0 = leases off. */
  renewMs: number;
  claimIdleMs: number;
  /** A partition lease renewed longer ago than this may have passed to another consumer. */
  fenceSafeMs: number;
  /** Entries another consumer owns now. */
  onLost: (entries: HeldEntry[]) => void;
  report: (error: unknown) => void;
}

/**
 * Keeps this consumer's lease on every entry it holds, buffered or running, the way BullMQ extends
 * a job's lock: every `renewMs` the idle time of the held ids is reset in Redis (only while they
 * are still pending for this consumer), so no other consumer's XAUTOCLAIM takes an entry whose
 * handler is still running. Ids found owned elsewhere are reported lost.
 */
export class LeaseKeeper {
  private readonly held = new Map<string, Map<string, HeldEntry>>();
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> = Promise.resolve();
  /** An ack sent later than this after the last confirmation checks ownership in Redis first. */
  private readonly safeMs: number;

  constructor(private readonly deps: LeaseKeeperDeps) {
    // Another consumer can take an entry only once it has been idle claimIdleMs; leave a margin
    // of one renewal period for the ack's own trip to Redis.
    this.safeMs = deps.renewMs > 0 ? Math.max(deps.claimIdleMs - deps.renewMs, deps.claimIdleMs / 2) : Infinity;
  }

  get enabled(): boolean {
    return this.deps.renewMs > 0;
  }

  has(stream: string, id: string): boolean {
    return this.held.get(stream)?.has(id) ?? false;
  }

  add(entry: HeldEntry): void {
    let ids = this.held.get(entry.lane.stream);
    if (!ids) {
      ids = new Map();
      this.held.set(entry.lane.stream, ids);
    }
    ids.set(entry.id, entry);
  }

  remove(entry: HeldEntry): void {
    const ids = this.held.get(entry.lane.stream);
    if (ids?.get(entry.id) === entry) {
      ids.delete(entry.id);
      if (ids.size === 0) this.held.delete(entry.lane.stream);
    }
  }

  /**
   * True while a plain XACK of the entry cannot settle another consumer's delivery: its own lease
   * and, on a partitioned topic, its partition's lease were both confirmed recently enough.
   */
  safeToAck(entry: HeldEntry, now: number): boolean {
    const reader = entry.lane.reader;
    return now - entry.confirmedAt < this.safeMs && (!reader.fence || now - reader.fenceConfirmedAt < this.deps.fenceSafeMs);
  }

  start(): void {
    if (!this.enabled || this.timer) return;
    this.timer = setInterval(() => {
      this.renewing = this.renewing.then(() => this.renewAll()).catch(this.deps.report);
    }, this.deps.renewMs);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.renewing.catch(() => undefined);
  }

  /** Renews one entry now (ctx.extend()); false when it is lost. */
  async extend(entry: HeldEntry): Promise<boolean> {
    if (entry.lost) return false;
    await this.renew(entry.lane.stream, [entry]);
    return !entry.lost;
  }

  private async renewAll(): Promise<void> {
    // Issued together: the client pipelines them, one round trip for every stream held.
    await Promise.all(
      [...this.held].map(([stream, ids]) => {
        const live = [...ids.values()].filter((e) => !e.lost);
        return live.length > 0 ? this.renew(stream, live) : undefined;
      }),
    );
  }

  private async renew(stream: string, entries: HeldEntry[]): Promise<void> {
    const sent = performance.now();
    const lostIds = new Set(
      await this.deps.backend.lease(stream, this.deps.group, this.deps.consumer, entries.map((e) => e.id), 'renew'),
    );
    const lost: HeldEntry[] = [];
    for (const e of entries) {
      if (e.lost) continue;
      if (lostIds.has(e.id)) {
        // Settled meanwhile by this consumer (acked, retried) is not a loss: it is no longer held.
        if (this.held.get(stream)?.get(e.id) !== e) continue;
        e.lost = true;
        lost.push(e);
      } else e.confirmedAt = sent;
    }
    if (lost.length > 0) this.deps.onLost(lost);
  }
}
