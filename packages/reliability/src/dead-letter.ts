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

/**
 * Where a replay publishes and how it reports. By default each dead letter goes back to the
 * partition it came from, to the group it died in only (that group's inbox): the other groups of
 * the topic handled it already and do not see it again.
 */
export interface ReplayOptions {
  /** Publish to this topic instead, to every group of it (its lane streams). Default: the original partition. */
  to?: string;
  /**
   * Publish to the original partition's lane streams, so every group of the topic gets it again.
   * Default false: only the group it died in.
   */
  allGroups?: boolean;
  /** Dead letters read, published and removed per round trip. Default 100 (1 to 10,000). */
  pageSize?: number;
  /**
   * Called after each page. `done` counts what the replay went through (replayed, skipped, or for
   * `ids` not found); `total` is how many were selected when it started: the ids given, or the dead
   * letters waiting (at most `count`). A range (`from`/`to`) may hold fewer than that: its last
   * call then reports `done` as the total.
   */
  onProgress?: (done: number, total: number) => void;
}

export interface ReplayResult {
  replayed: number;
  /** Dead letters left in place: their raw text is not a valid envelope, or the destination refused it. */
  skipped: Array<{ id: string; error: string }>;
}
