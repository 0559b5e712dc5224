import type { StreamBackend } from '../internal/stream-backend';
import type { ConsumerCounters, TransportHooks } from '../types';
import type { DeliveryWindow } from './delivery-window';
import type { PartitionReader } from './held-entry';

export interface ReclaimerDeps {
  backend: StreamBackend;
  topic: string;
  group: string;
  consumer: string;
  claimIdleMs: number;
  reapIdleMs: number;
  window: DeliveryWindow;
  counters: ConsumerCounters;
  hooks: TransportHooks;
  readers: () => Iterable<PartitionReader>;
  running: () => boolean;
  pump: () => void;
  report: (error: unknown) => void;
}

/** XAUTOCLAIM steps per stream and pass: the cursor carries on from there next pass. */
const STEPS_PER_PASS = 10;

/**
 * Takes over entries that dead consumers left pending longer than claimIdleMs, following
 * XAUTOCLAIM's cursor so entries deep in the pending list are reached while its head is busy, and
 * settling the ones whose stream entries are gone (deleted while pending) instead of leaving them
 * pending forever. Then reaps consumers idle past reapIdleMs with nothing pending.
 */
export class Reclaimer {
  private readonly cursors = new Map<string, string>();

  constructor(private readonly d: ReclaimerDeps) {}

  async pass(): Promise<void> {
    const d = this.d;
    for (const reader of [...d.readers()]) {
      for (const lane of reader.lanes) {
        if (!d.running() || !reader.active || d.window.room() <= 0) return;
        try {
          await this.claimStream(reader, lane.stream);
          if (d.reapIdleMs > 0) await d.backend.reap(lane.stream, d.group, d.reapIdleMs, d.consumer);
        } catch (error) {
          d.report(error);
        }
      }
    }
  }

  private async claimStream(reader: PartitionReader, stream: string): Promise<void> {
    const d = this.d;
    const lane = reader.byStream.get(stream)!;
    let cursor = this.cursors.get(stream) ?? '0-0';
    for (let step = 0; step < STEPS_PER_PASS; step++) {
      const free = d.window.room();
      if (!d.running() || !reader.active || free <= 0) break;
      const sent = performance.now();
      const page = await d.backend.claim(stream, d.group, d.consumer, d.claimIdleMs, Math.min(free, 1000), cursor);
      if (page.deleted.length > 0) d.counters.deleted += page.deleted.length;
      let n = 0;
      for (const c of page.entries) {
        const entry = { id: c.id, raw: c.raw, headers: c.headers, deliveryCount: c.deliveryCount, lane, confirmedAt: sent, lost: false };
        if (d.window.enqueue(lane, entry)) n++;
      }
      if (n > 0) {
        d.counters.reclaimed += n;
        d.hooks.onReclaim?.(d.topic, d.group, n);
        d.pump();
      }
      cursor = page.next;
      if (cursor === '0-0') break;
    }
    this.cursors.set(stream, cursor);
  }
}
