import { TaskModel, type HashFields, type Task, type TaskStatus } from '@agentbus/schema';
import { conflict, notFound, wrongType } from '../errors';
import { decodeOrThrow, type RecordReader } from './records';
import { STATUS_INDEX_TTL_SECONDS, type SwarmContext } from './swarm-context';
import type { StoredValue, TaskTransition } from './swarm-store';

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
  /** The CONFLICT message when a guard fails, from the task's current fields. */
  guardFailed?: (fields: HashFields) => string;
}

export function missingTask(ctx: SwarmContext, id: string): Error {
  return notFound(`task ${id} not found (${ctx.keys.task(id)}): create it first; tasks expire ${TaskModel.ttlSeconds} s after their last write`);
}

export function describeState(fields: HashFields): string {
  const status = (fields.status ?? '').toLowerCase() || 'without status';
  return fields.assignee ? `${status} (assigned to ${fields.assignee})` : status;
}

/** The full transition for the store. */
export function transitionOf(ctx: SwarmContext, id: string, change: TaskChange): TaskTransition {
  return {
    key: ctx.keys.task(id),
    id,
    indexKeys: ctx.statusIndex,
    from: change.from,
    guards: change.guards ?? {},
    ...(change.already ? { already: change.already } : {}),
    set: change.set,
    unset: change.unset ?? [],
    ttlSeconds: TaskModel.ttlSeconds,
    score: ctx.options.now(),
    indexTtlSeconds: STATUS_INDEX_TTL_SECONDS,
  };
}

export interface ChangedTask {
  task: Task;
  /** The task's hash as read before the change. */
  before: HashFields;
  /** False when it already was in the wanted state and nothing was written. */
  changed: boolean;
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
  const before = stored.type === 'hash' ? stored.value : {};
  const outcome = await ctx.store.transitionTask(transitionOf(ctx, id, change));
  switch (outcome.kind) {
    case 'missing':
      throw missingTask(ctx, id);
    case 'wrongtype':
      throw wrongType(key, 'task', 'hash', outcome.actualType);
    case 'status':
      throw conflict(
        `cannot ${change.verb} task ${id}: it is ${describeState(outcome.fields)}; only a task that is ${change.from.join(' or ')} can be ${change.past}${change.hint ? ` (${change.hint})` : ''}`,
      );
    case 'guard':
      throw conflict(change.guardFailed?.(outcome.fields) ?? `cannot ${change.verb} task ${id}: it is ${describeState(outcome.fields)}`);
    default:
      return { task: decodeOrThrow(key, { type: 'hash', value: outcome.fields }, TASK_READER, () => missingTask(ctx, id)), before, changed: outcome.kind === 'applied' };
  }
}
