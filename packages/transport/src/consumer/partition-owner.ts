import { ERROR_CODES, isAgentbusError, type AgentbusError } from '@agentbus/schema';
import type { MembershipBackend, StreamBackend } from '../internal/stream-backend';
import { assignPartitions } from '../partition';
import type { PartitionReader } from './held-entry';

export interface PartitionOwnerDeps {
  backend: StreamBackend;
  membership: MembershipBackend;
  group: string;
  consumer: string;
  /** Unique to this consumer instance: the partition leases' fencing token. */
  token: string;
  partitions: number;
  membersKey: string;
  /** The lease key of one partition. */
  leaseKey: (partition: number) => string;
  intervalMs: number;
  /** The streams of one partition (lanes and inbox). */
  streamsOf: (partition: number) => string[];
  readers: Map<number, PartitionReader>;
  startReader: (partition: number, fence: { key: string; token: string }) => void;
  /** Stops reading and drops the buffer; resolves once nothing of the partition runs any more. */
  stopReader: (partition: number) => Promise<void>;
  running: () => boolean;
  report: (error: unknown) => void;
}

/**
 * Shares a partitioned topic's partitions among the live consumers of a group, with a fenced
 * handover so order per key survives a rebalance: a consumer reads a partition only while it holds
 * the partition's lease (reads are fenced by the lease's token); an old owner stops reading, lets
 * the running entry finish and only then releases the lease; the new owner first takes over every
 * entry still pending in the partition, reads those in order, and only then reads new ones.
 * Membership is scored by the Redis server's clock.
 */
export class PartitionOwner {
  /** Partitions being handed over: the lease is kept (renewed) until their handler finished. */
  private readonly draining = new Set<number>();
  private ticking = false;

  constructor(private readonly d: PartitionOwnerDeps) {}

  private get ttlMs(): number {
    return this.d.intervalMs * 3;
  }

  async tick(): Promise<void> {
    if (this.ticking || !this.d.running()) return;
    this.ticking = true;
    try {
      const d = this.d;
      const all = await d.membership.heartbeat(d.membersKey, `${d.group}|${d.consumer}`, this.ttlMs);
      const mine = all.filter((m) => m.startsWith(`${d.group}|`));
      const want = new Set(assignPartitions(d.partitions, mine.length, mine.indexOf(`${d.group}|${d.consumer}`)));
      for (const p of [...d.readers.keys()]) {
        if (!want.has(p)) this.handOver(p);
        else await this.renew(p);
      }
      for (const p of this.draining) await this.renew(p);
      for (const p of want) {
        if (!d.running()) break;
        if (!d.readers.has(p) && !this.draining.has(p)) await this.acquire(p);
      }
    } catch (error) {
      this.d.report(error);
    } finally {
      this.ticking = false;
    }
  }

  /** Releases every lease this consumer holds (close, after its handlers finished). */
  async releaseAll(): Promise<void> {
    const d = this.d;
    const held = new Set([...d.readers.keys(), ...this.draining]);
    await Promise.all([...held].map((p) => d.membership.releaseLease(d.leaseKey(p), d.token)));
    await d.membership.leave(d.membersKey, `${d.group}|${d.consumer}`);
  }

  /** The lease was found held by another token: stop at once (that consumer took our entries). */
  fenced(p: number): void {
    void this.d.stopReader(p);
  }

  private async renew(p: number): Promise<void> {
    const d = this.d;
    const sent = performance.now();
    if (await d.membership.acquireLease(d.leaseKey(p), d.token, this.ttlMs)) {
      const reader = d.readers.get(p);
      if (reader) reader.fenceConfirmedAt = sent;
      return;
    }
    this.draining.delete(p);
    if (d.readers.has(p)) await d.stopReader(p);
  }

  private handOver(p: number): void {
    const d = this.d;
    this.draining.add(p);
    void d
      .stopReader(p)
      .then(async () => {
        if (!this.draining.delete(p)) return;
        await d.membership.releaseLease(d.leaseKey(p), d.token);
      })
      .catch(d.report);
  }

  private async acquire(p: number): Promise<void> {
    const d = this.d;
    const key = d.leaseKey(p);
    if (!(await d.membership.acquireLease(key, d.token, this.ttlMs))) return;
    // Everything the previous owner left pending becomes ours first, to be read in order before
    // any new entry (ids only: the delivery counts move when they are read).
    // The partition's streams side by side (pipelined), each page after page.
    await Promise.all(d.streamsOf(p).map((stream) => this.takeOverStream(stream)));
    if (d.running()) d.startReader(p, { key, token: d.token });
  }

  private async takeOverStream(stream: string): Promise<void> {
    const d = this.d;
    let cursor = '0-0';
    do {
      try {
        cursor = (await d.backend.takeOver(stream, d.group, d.consumer, cursor, 1000)).next;
      } catch (error) {
        // No group on the stream yet: nothing is pending there.
        if (isAgentbusError(error) && (error as AgentbusError).code === ERROR_CODES.NOT_FOUND) return;
        throw error;
      }
    } while (cursor !== '0-0' && d.running());
  }
}
