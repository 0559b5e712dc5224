import { TaskModel, type HashFields, type Task, type TaskStatus } from '@agentbus/schema';
import { conflict, notFound, wrongType } from '../errors';
import { decodeOrThrow, type RecordReader } from './records';
import { STATUS_INDEX_TTL_SECONDS, type SwarmContext } from './swarm-context';
import type { StoredValue, TaskIndexKeys, TaskTransition, TransitionOutcome } from './swarm-store';

export const TASK_READER: RecordReader<Task> = { what: 'task', expected: 'hash', hash: TaskModel };

/** A task state change, before the ids, keys and TTLs are filled in. */
export interface TaskChange {
  /** Names the operation in errors (`claim`, `complete`, ...). */
  verb: string;
  /** Its past participle (`claimed`, `failed`), for messages. */
  past: string;
  /** Appended to the CONFLICT message of a wrong status (what to do instead). */
  hint?: string;
  from: readonly TaskStatus[];
  guards?: Readonly<Record<string, string>>;
  already?: Readonly<Record<string, string>>;
  set: Readonly<Record<string, string>>;
  unset?: readonly string[];
  /** ISO time: an in_progress task whose claim lease ran out before it may be taken (see TaskTransition). */
  reclaimBefore?: string;
  /** Lease index score (ms) of the `claimed_until` in `set`. */
  leaseScore?: number;
  /** The CONFLICT message when a guard fails, from the task's current fields. */
  guardFailed?: (fields: HashFields) => string;
}

export function missingTask(ctx: SwarmContext, id: string): Error {
  return notFound(
    `task ${id} not found (${ctx.keys.task(id)}): create it first; tasks expire ${TaskModel.ttlSeconds} s (or their own ttl_seconds) after their last write`,
  );
}

export function describeState(fields: HashFields): string {
  const status = (fields.status ?? '').toLowerCase() || 'without status';
  return fields.assignee ? `${status} (assigned to ${fields.assignee})` : status;
}

/** The index keys of a task, scored now. */
export function indexKeysOf(ctx: SwarmContext, id: string): TaskIndexKeys {
  return {
    key: ctx.keys.task(id),
    id,
    indexKeys: ctx.statusIndex,
    leaseKey: ctx.leaseIndex,
    score: ctx.options.now(),
    indexTtlSeconds: STATUS_INDEX_TTL_SECONDS,
  };
}

/** The full transition for the store. */
export function transitionOf(ctx: SwarmContext, id: string, change: TaskChange): TaskTransition {
  return {
    ...indexKeysOf(ctx, id),
    from: change.from,
    guards: change.guards ?? {},
    ...(change.already ? { already: change.already } : {}),
    set: change.set,
    unset: change.unset ?? [],
    ttlSeconds: TaskModel.ttlSeconds,
    ...(change.reclaimBefore === undefined ? {} : { reclaimBefore: change.reclaimBefore }),
    ...(change.leaseScore === undefined ? {} : { leaseScore: change.leaseScore }),
  };
}

export interface ChangedTask {
  task: Task;
  /** False when it already was in the wanted state and nothing was written. */
  changed: boolean;
}

/** The one place a refused outcome becomes its typed error (NOT_FOUND, WRONG_TYPE, CONFLICT). */
export function refusal(ctx: SwarmContext, id: string, change: TaskChange, outcome: Exclude<TransitionOutcome, { kind: 'applied' | 'already' }>): Error {
  switch (outcome.kind) {
    case 'missing':
      return missingTask(ctx, id);
    case 'wrongtype':
      return wrongType(ctx.keys.task(id), 'task', 'hash', outcome.actualType);
    case 'status':
      return conflict(
        `cannot ${change.verb} task ${id}: it is ${describeState(outcome.fields)}; only a task that is ${change.from.join(' or ')} can be ${change.past}${change.hint ? ` (${change.hint})` : ''}`,
      );
    case 'guard':
      return conflict(change.guardFailed?.(outcome.fields) ?? `cannot ${change.verb} task ${id}: it is ${describeState(outcome.fields)}`);
  }
}

/**
 * Reads and decodes the task first (a task that does not decode is never changed: its
 * SwarmDataError names the key and field), then applies the change atomically in the store,
 * where the status and guards are checked again against the live hash.
 */
export async function changeTask(ctx: SwarmContext, id: string, change: TaskChange): Promise<ChangedTask> {
  const key = ctx.keys.task(id);
  const stored: StoredValue = await ctx.store.read(key);
  decodeOrThrow(key, stored, TASK_READER, () => missingTask(ctx, id));
  const outcome = await ctx.store.transitionTask(transitionOf(ctx, id, change));
  if (outcome.kind !== 'applied' && outcome.kind !== 'already') throw refusal(ctx, id, change, outcome);
  return { task: decodeOrThrow(key, { type: 'hash', value: outcome.fields }, TASK_READER, () => missingTask(ctx, id)), changed: outcome.kind === 'applied' };
}
