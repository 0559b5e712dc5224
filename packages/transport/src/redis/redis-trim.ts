import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import type { RetentionPolicy, TrimResult } from '../types';
import type { RedisClient } from './connection';

/**
 * What one trim.lua call may do, so a call's cost is bounded whatever the backlog (see the script's
 * header): policy entries removed (XTRIM LIMIT), hard-cap pending ids read (and so entries dropped),
 * ids walked when Redis cannot count, and the node size beyond which a short XTRIM is taken for a
 * stop at its limit (Redis' stream-node-max-entries is 100 by default).
 */
export const TRIM_STEP_LIMITS = {
  policyEntries: 10_000,
  hardIds: 1_000,
  walkIds: 100,
  nodeEntries: 5_000,
} as const;

/**
 * Calls per stream for one `trim`: past a million entries of backlog the rest waits for the next
 * interval, so one trim never holds its lock (or the caller) for long.
 */
export const TRIM_MAX_CALLS = 100;

/** How the step applied maxLen (see trim.lua): proven safe, to the bound, to a checkpoint, or not at all. */
export type MaxLenRule = 'none' | 'maxlen' | 'minid-bound' | 'minid-checkpoint' | 'undecided';

const RULES: readonly MaxLenRule[] = ['none', 'maxlen', 'minid-bound', 'minid-checkpoint', 'undecided'];

/** One trim.lua call's result. */
export interface TrimStep extends TrimResult {
  /** Entries and ids the call read: bounded by the limits, not by the backlog. */
  examined: number;
  /** A limit stopped the call: there is more to trim. */
  more: boolean;
  maxLenRule: MaxLenRule;
}

/**
 * The key of a stream's trim checkpoints, in the stream's hash slot: beside a `{tag}`ged key it
 * keeps the tag; an untagged key becomes the tag.
 */
export function trimCheckpointKey(stream: string): string {
  return /\{[^}]+\}/.test(stream) ? `${stream}:trim-checkpoints` : `{${stream}}:trim-checkpoints`;
}

function count(name: keyof RetentionPolicy, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isFinite(value) || value < 0) {
    throw new AgentbusError(
      ERROR_CODES.INVALID_ARGUMENT,
      `invalid retention.${name} ${value}: use a number >= 0 (0 = none)`,
    );
  }
  return Math.floor(value);
}

/** The script's policy arguments: age MINID ('' for none), maxLen, hardMaxLen. Throws INVALID_ARGUMENT. */
export function trimArgs(policy: RetentionPolicy, now: number): [string, number, number] {
  const maxAgeMs = count('maxAgeMs', policy.maxAgeMs);
  const minId = maxAgeMs > 0 ? `${Math.max(0, Math.floor(now) - maxAgeMs)}-0` : '';
  return [minId, count('maxLen', policy.maxLen), count('hardMaxLen', policy.hardMaxLen)];
}

/** One bounded trim.lua call on one stream. */
export async function redisTrimStep(
  client: RedisClient,
  stream: string,
  droppedKey: string,
  policy: RetentionPolicy,
  now: number,
): Promise<TrimStep> {
  const [minId, maxLen, hardMaxLen] = trimArgs(policy, now);
  const l = TRIM_STEP_LIMITS;
  const [trimmed, droppedUnacked, examined, more, rule] = await client.agentbus_trim_v2(
    stream, droppedKey, trimCheckpointKey(stream),
    minId, maxLen, hardMaxLen, l.policyEntries, l.hardIds, l.walkIds, l.nodeEntries,
  );
  return {
    trimmed: Number(trimmed),
    droppedUnacked: Number(droppedUnacked),
    examined: Number(examined),
    more: Number(more) === 1,
    maxLenRule: RULES[Number(rule)] ?? 'none',
  };
}

/** Applies retention to one stream: bounded calls, repeated while one says there is more (up to TRIM_MAX_CALLS). */
export async function redisTrim(
  client: RedisClient,
  stream: string,
  droppedKey: string,
  policy: RetentionPolicy,
  now: number,
): Promise<TrimResult> {
  const total: TrimResult = { trimmed: 0, droppedUnacked: 0 };
  for (let call = 0; call < TRIM_MAX_CALLS; call++) {
    const step = await redisTrimStep(client, stream, droppedKey, policy, now);
    total.trimmed += step.trimmed;
    total.droppedUnacked += step.droppedUnacked;
    if (!step.more) break;
  }
  return total;
}
