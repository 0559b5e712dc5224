import type { Priority } from '@agentbus/schema';
import type { DeadLetter, DeadLetterReason } from '../dead-letter';

/** Where a rejected delivery came from. */
export interface DeliveryRef {
  /** Base topic and the topic that holds its stream (`topic` or `topic.N`). */
  topic: string;
  partitionTopic: string;
  /** The stream key it was read from: a lane stream or the group's inbox. */
  stream: string;
  lane: Priority;
  group: string;
  consumer: string;
  streamId: string;
}

export interface DeadLetterInput extends DeliveryRef {
  raw: string;
  reason: DeadLetterReason;
  error: string;
  /** JSON of the attempt history. */
  attempts: string;
  at: number;
}

/** What one move of due retries did, and when the set it looked at has something due next. */
export interface MoveResult {
  moved: number;
  /** Score (ms since epoch) of the earliest retry left in the set; null when it is empty. */
  nextDueAt: number | null;
}

export interface DeadLetterOutcome {
  /** The dead letter's id in the dead-letter stream. */
  id: string;
  /** Oldest dead letters the cap removed to make room (counted in the dropped counter). */
  dropped: number;
}

/**
 * The storage side of retries and dead letters. Redis runs each step as one Lua script (ack and
 * move together); the memory store does the same in one synchronous step. Every method touches
 * one partition, so callers spread work over partitions by issuing calls concurrently (ioredis
 * pipelines what is issued in the same tick, also on a cluster where one pipeline cannot span
 * slots).
 */
export interface ReliabilityStore {
  /** Acks the delivery and schedules it (with `headers`) in its group for `dueAt`; false when it was already settled. */
  scheduleRetry(ref: DeliveryRef, dueAt: number, raw: string, headers: string): Promise<boolean>;
  /** Moves a group's retries due at `now` on one partition into that group's inbox. */
  moveDue(partitionTopic: string, group: string, now: number, limit: number): Promise<MoveResult>;
  /** Drains the per-topic delayed set version 1 wrote (no group recorded) back onto the lanes. */
  moveLegacyDue(partitionTopic: string, now: number, limit: number): Promise<MoveResult>;
  /** Acks the delivery and appends it to the dead-letter stream; null when it was already settled. */
  deadLetter(input: DeadLetterInput): Promise<DeadLetterOutcome | null>;
  /** Dead letters with ids in [from, to], oldest first; a `(` before an id excludes it. */
  list(partitionTopic: string, from: string, to: string, count: number): Promise<DeadLetter[]>;
  /** The dead letter with this id, read alone (XRANGE id id). */
  get(partitionTopic: string, id: string): Promise<DeadLetter | undefined>;
  /** How many dead letters wait and the newest one's id (null when none). */
  tail(partitionTopic: string): Promise<{ depth: number; lastId: string | null }>;
  remove(partitionTopic: string, ids: readonly string[]): Promise<number>;
  /** Removes every dead letter of the topic; returns how many there were. */
  clear(partitionTopic: string): Promise<number>;
  depth(partitionTopic: string): Promise<number>;
  /** Retries of one group scheduled and not yet moved. */
  delayed(partitionTopic: string, group: string): Promise<number>;
  /** Members left in the per-topic delayed set of version 1. */
  legacyDelayed(partitionTopic: string): Promise<number>;
  /** Dead letters the cap has dropped since the counter was created. */
  dropped(partitionTopic: string): Promise<number>;
}
