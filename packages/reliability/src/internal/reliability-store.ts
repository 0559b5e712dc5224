import type { Priority } from '@agentbus/schema';
import type { DeadLetter, DeadLetterReason } from '../dead-letter';

/** Where a rejected delivery came from. */
export interface DeliveryRef {
  /** Base topic and the topic that holds its stream (`topic` or `topic.N`). */
  topic: string;
  partitionTopic: string;
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

/**
 * The storage side of retries and dead letters. Redis runs each step as one Lua script (ack and
 * move together); the memory store does the same in one synchronous step.
 */
export interface ReliabilityStore {
  /** Acks the delivery and schedules it (with `headers`) for `dueAt`; false when it was already settled. */
  scheduleRetry(ref: DeliveryRef, dueAt: number, raw: string, headers: string): Promise<boolean>;
  /** Moves retries due at `now` back onto their streams; returns how many. */
  moveDue(partitionTopic: string, now: number, limit: number): Promise<number>;
  /** Acks the delivery and appends it to the dead-letter stream; null when it was already settled. */
  deadLetter(input: DeadLetterInput): Promise<string | null>;
  list(partitionTopic: string, from: string, to: string, count: number): Promise<DeadLetter[]>;
  remove(partitionTopic: string, ids: readonly string[]): Promise<number>;
  /** Removes every dead letter of the topic; returns how many there were. */
  clear(partitionTopic: string): Promise<number>;
  depth(partitionTopic: string): Promise<number>;
  delayed(partitionTopic: string): Promise<number>;
}
