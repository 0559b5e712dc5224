import type { Priority } from '@agentbus/schema';
import type { Fifo } from '../internal/fifo';
import type { Delivery } from './delivery';

/** One stream a partition reader reads: a priority lane, or the group's inbox. */
export interface LaneQueue {
  stream: string;
  /** The lane; `inbox` entries take their lane from the envelope's priority. */
  lane: Priority | 'inbox';
  weight: number;
  /** Smooth weighted round robin state. */
  current: number;
  /** Entries read and leased but not started yet. */
  queue: Fifo<HeldEntry>;
  reader: PartitionReader;
}

/** An entry this consumer holds: pending for it in Redis, buffered or running here. */
export interface HeldEntry {
  id: string;
  /** The `env` field; null when the entry has none. */
  raw: string | null;
  headers?: string | null | undefined;
  deliveryCount: number;
  lane: LaneQueue;
  /** performance.now() when a read or renewal of it was last sent: Redis's idle clock restarted no earlier. */
  confirmedAt: number;
  /** The lease was lost: another consumer owns the entry, nothing this one does with it counts. */
  lost: boolean;
  /** Set while its handler runs. */
  delivery?: Delivery;
}

/** Reads one partition's lanes and inbox (they share a hash slot). */
export interface PartitionReader {
  partition: number;
  /** The topic that holds its streams: `topic` or `topic.N`. */
  topic: string;
  lanes: LaneQueue[];
  byStream: Map<string, LaneQueue>;
  abort: AbortController;
  active: boolean;
  /** Ordered (partitioned) topics run one handler per partition at a time. */
  busy: boolean;
  /** Partition lease (partitioned topics): key, token, and when its last renewal was sent. */
  fence?: { key: string; token: string };
  fenceConfirmedAt: number;
  loop?: Promise<void>;
  /** Settles once its groups exist (a consumer is ready when its first readers' are). */
  groupsReady?: Promise<void>;
  key: string;
}
