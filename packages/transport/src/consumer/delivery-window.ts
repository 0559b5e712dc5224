import type { HeldEntry, LaneQueue, PartitionReader } from './held-entry';
import type { LeaseKeeper } from './lease-keeper';

/**
 * One window of `concurrency + prefetch` entries over every lane and partition a consumer reads:
 * what is buffered plus what is running never exceeds it. Entries are taken lane by smooth
 * weighted round robin, readers in turn; an ordered (partitioned) topic runs one entry per
 * partition at a time.
 */
export class DeliveryWindow {
  inFlight = 0;
  buffered = 0;
  private readers: PartitionReader[] = [];
  private rr = 0;
  private roomWaiters: Array<() => void> = [];
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly size: number,
    readonly concurrency: number,
    private readonly ordered: boolean,
    private readonly keeper: LeaseKeeper,
  ) {}

  setReaders(readers: Iterable<PartitionReader>): void {
    this.readers = [...readers];
  }

  room(): number {
    return this.size - this.inFlight - this.buffered;
  }

  /**
   * Buffers an entry unless it is held already (a reclaim or a pending read can return one), or
   * its reader was stopped while the read was on its way: such an entry stays pending for this
   * consumer, and the partition's next owner takes it over. Buffering it would hold room of the
   * window that no reader ever frees.
   */
  enqueue(lane: LaneQueue, entry: HeldEntry): boolean {
    if (!lane.reader.active || this.keeper.has(lane.stream, entry.id)) return false;
    this.keeper.add(entry);
    lane.queue.push(entry);
    this.buffered++;
    return true;
  }

  /** The next entry to start, or undefined when none may start now. */
  next(): HeldEntry | undefined {
    if (this.inFlight >= this.concurrency) return undefined;
    for (let i = 0; i < this.readers.length; i++) {
      this.rr = (this.rr + 1) % this.readers.length;
      const reader = this.readers[this.rr]!;
      for (;;) {
        const lane = this.pick(reader);
        if (!lane) break;
        const entry = lane.queue.shift()!;
        this.buffered--;
        if (entry.lost) {
          // Taken over while buffered: it is another consumer's now.
          this.keeper.remove(entry);
          continue;
        }
        this.inFlight++;
        if (this.ordered) reader.busy = true;
        return entry;
      }
    }
    return undefined;
  }

  /** A started entry finished (whatever its outcome). */
  done(entry: HeldEntry): void {
    this.keeper.remove(entry);
    this.inFlight--;
    entry.lane.reader.busy = false;
    this.wakeRoom();
    if (this.inFlight === 0 && this.idleWaiters.length > 0) {
      const list = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of list) w();
    }
  }

  /** Drops a reader's buffered entries: they stay pending for this consumer, unleased, and are reclaimed. */
  drop(reader: PartitionReader): void {
    for (const lane of reader.lanes) {
      for (const entry of lane.queue.clear()) {
        this.buffered--;
        this.keeper.remove(entry);
      }
    }
  }

  waitForRoom(): Promise<void> {
    return new Promise((r) => this.roomWaiters.push(r));
  }

  waitIdle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }

  wakeRoom(): void {
    if (this.roomWaiters.length === 0) return;
    const list = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of list) w();
  }

  private pick(reader: PartitionReader): LaneQueue | undefined {
    if (this.ordered && reader.busy) return undefined;
    let best: LaneQueue | undefined;
    let total = 0;
    for (const lane of reader.lanes) {
      if (lane.queue.length === 0) continue;
      lane.current += lane.weight;
      total += lane.weight;
      if (!best || lane.current > best.current) best = lane;
    }
    if (best) best.current -= total;
    return best;
  }
}
