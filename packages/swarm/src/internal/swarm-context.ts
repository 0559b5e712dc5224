import {
  FINDING_TTL_SECONDS,
  TASK_STATUSES,
  TASK_TTL_SECONDS,
  type KeyBuilder,
  type TaskStatus,
} from '@agentbus/schema';
import type { Transport } from '@agentbus/transport';
import type { SwarmStore } from './swarm-store';

/** The resolved options every part of the swarm reads. */
export interface ResolvedSwarmOptions {
  escalationTopic: string;
  escalationRecipient: string;
  conflictThreshold: number;
  listLimit: number;
  scanCount: number;
  maxCasRetries: number;
  quarantineTtlSeconds: number;
  claimLeaseMs: number;
  now: () => number;
}

/** What the parts of a swarm (tasks, findings, ...) share. */
export interface SwarmContext {
  transport: Transport;
  store: SwarmStore;
  keys: KeyBuilder;
  options: ResolvedSwarmOptions;
  /** Per-status task index keys (sorted sets: id -> ms it entered the status). */
  statusIndex: Readonly<Record<TaskStatus, string>>;
  /** The claim leases of in_progress tasks (sorted set: id -> ms its claimed_until runs out). */
  leaseIndex: string;
  /** Now as ISO text. */
  isoNow(): string;
}

/** Index keys' TTLs: refreshed on every write, at least as long as what they index lives. */
export const STATUS_INDEX_TTL_SECONDS = TASK_TTL_SECONDS;
export const FINDINGS_INDEX_TTL_SECONDS = FINDING_TTL_SECONDS;

export function statusIndexKeys(keys: KeyBuilder): Record<TaskStatus, string> {
  return Object.fromEntries(TASK_STATUSES.map((s) => [s, keys.key('swarm', 'tasks', 'status', s)])) as Record<TaskStatus, string>;
}

export function leaseIndexKey(keys: KeyBuilder): string {
  return keys.key('swarm', 'tasks', 'lease', 'in_progress');
}

/** The findings of one task (sorted set: finding id -> its timestamp in ms). */
export function findingsIndexKey(keys: KeyBuilder, taskId: string): string {
  return keys.key('swarm', 'findings', 'task', taskId);
}
