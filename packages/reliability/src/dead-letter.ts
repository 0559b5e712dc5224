import type { Priority } from '@agentbus/schema';

/** Why a message was dead-lettered. */
export const DEAD_LETTER_REASONS = [
  'handler-error',
  'max-deliveries',
  'invalid',
  'expired',
  'bad-signature',
  'poison',
] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

/** One failed attempt, as kept in the delivery headers and the dead letter. */
export interface AttemptRecord {
  attempt: number;
  /** When it failed, ms since epoch. */
  at: number;
  error: string;
}

/** A message in a topic's dead-letter stream, with everything needed to understand and replay it. */
export interface DeadLetter {
  /** Id of the dead letter in the dead-letter stream. */
  id: string;
  /** The topic it was consumed from (without partition suffix). */
  topic: string;
  /** The topic that holds its stream: `topic` or `topic.N`. */
  partitionTopic: string;
  lane: Priority;
  reason: DeadLetterReason;
  /** The last error's message. */
  error: string;
  /** The envelope's wire text as it was stored: kept even when it is not a valid envelope. */
  raw: string;
  /** Envelope id, when the raw text could be read. */
  envelopeId: string | undefined;
  attempts: AttemptRecord[];
  group: string;
  consumer: string;
  /** The stream entry id it had. */
  streamId: string;
  /** When it was dead-lettered, ms since epoch. */
  at: number;
}

/** What to replay: some ids, a range of dead-letter ids, or all. */
export type ReplaySelection = { ids: readonly string[] } | { from?: string; to?: string; count?: number } | 'all';

export interface ReplayOptions {
  /** Publish to this topic instead of the original one. Default: the original (same partition). */
  to?: string;
  /** Called after each replayed message, for progress bars. */
  onProgress?: (done: number, total: number) => void;
}

export interface ReplayResult {
  replayed: number;
  /** Dead letters left in place because their raw text is not a valid envelope. */
  skipped: Array<{ id: string; error: string }>;
}
