import { TASK_STATUSES, TaskModel, uuidv7, type Task, type TaskStatus } from '@agentbus/schema';
import { z } from 'zod';
import { conflict } from './errors';
import {
  agentIdSchema,
  claimNextOptionsSchema,
  createTaskInputSchema,
  listTasksOptionsSchema,
  type ClaimNextOptions,
  type CreateTaskInput,
  type ListTasksOptions,
} from './inputs';
import { parseArgument, parseInput } from './internal/parse';
import { decodeOrThrow, decodeStored, invalidEntry } from './internal/records';
import { STATUS_INDEX_TTL_SECONDS, type SwarmContext } from './internal/swarm-context';
import type { SwarmList } from './swarm-list';
import { changeTask, missingTask, TASK_READER, transitionOf, type TaskChange } from './internal/task-ops';
import { isQuarantined } from './internal/scan';

/** Task coordination: create, read, list, claim (atomically), release, complete, fail. */
export interface SwarmTasks {
  /** Creates a pending, unassigned task; CONFLICT when the id exists. */
  createTask(input: CreateTaskInput): Promise<Task>;
  /** NOT_FOUND when missing; SwarmDataError when the stored hash is bad. */
  getTask(id: string): Promise<Task>;
  /**
   * Tasks by status (and type). `source: 'index'` (default) reads the per-status indexes, oldest
   * first; `source: 'scan'` SCANs every `task:*` hash, so it also lists tasks written by agents
   * that do not keep the index (Python agents writing bare hashes), ordered by created_at.
   */
  listTasks(options?: ListTasksOptions): Promise<SwarmList<Task>>;
  /**
   * Atomically takes a pending, unassigned task: exactly one of any number of concurrent
   * claimants wins, the others get CONFLICT. Claiming a task this agent already holds returns it.
   */
  claimTask(id: string, agentId: string): Promise<Task>;
  /** Finds the oldest pending unassigned task (of `type`) and claims it; undefined when there is none. */
  claimNextTask(agentId: string, options?: ClaimNextOptions): Promise<Task | undefined>;
  /** Back to pending and unassigned; only by its assignee (releasing a task nobody holds is a CONFLICT). */
  releaseTask(id: string, agentId: string): Promise<Task>;
  /** Completed with a result text; only by its assignee, from in_progress or needs_assist. */
  completeTask(id: string, agentId: string, result: string): Promise<Task>;
  /** Failed with an error text; only by its assignee, from in_progress or needs_assist. */
  failTask(id: string, agentId: string, error: string): Promise<Task>;
}

const outcomeText = z.string().min(1, 'must not be empty').max(65_536, 'must be at most 65536 characters');
/** Index entries read per round trip. */
const PAGE = 100;

function byCreation(a: Task, b: Task): number {
  return a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id);
}

function notAssignee(id: string, agentId: string, verb: string) {
  return (fields: Record<string, string>) =>
    `cannot ${verb} task ${id}: it is assigned to ${fields.assignee || 'nobody'}, not ${agentId}; only its assignee can ${verb} it (claim it first)`;
}

export function createSwarmTasks(ctx: SwarmContext): SwarmTasks {
  const { store, keys } = ctx;
  const taskPrefix = keys.task('x').slice(0, -1);

  function claimChange(id: string, agentId: string, type?: string): TaskChange {
    return {
      verb: 'claim',
      past: 'claimed',
      hint: 'claimNextTask finds an unclaimed one',
      from: ['pending'],
      guards: type === undefined ? { assignee: '' } : { assignee: '', type },
      set: { status: 'in_progress', assignee: agentId, updated_at: ctx.isoNow() },
      guardFailed: (fields) => `cannot claim task ${id}: it is assigned to ${fields.assignee ?? ''} already; claim only unassigned tasks`,
    };
  }

  /** Tries to claim one candidate; the task on success, else why not. */
  async function tryClaim(id: string, agentId: string, type?: string): Promise<Task | 'gone' | 'taken'> {
    const outcome = await store.transitionTask(transitionOf(ctx, id, claimChange(id, agentId, type)));
    if (outcome.kind === 'applied') {
      const key = keys.task(id);
      return decodeOrThrow(key, { type: 'hash', value: outcome.fields }, TASK_READER, () => missingTask(ctx, id));
    }
    return outcome.kind === 'status' || outcome.kind === 'missing' ? 'gone' : 'taken';
  }

  async function claimFromIndex(agentId: string, type?: string): Promise<Task | undefined> {
    const index = ctx.statusIndex.pending;
    let offset = 0;
    for (;;) {
      const ids = await store.indexRange(index, offset, PAGE);
      if (ids.length === 0) return undefined;
      const stored = await store.readMany(ids.map((id) => keys.task(id)));
      let gone = 0;
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        const d = decodeStored(keys.task(id), stored[i]!, TASK_READER);
        if (!d.ok) {
          if (d.error === undefined) {
            await store.indexRemove(index, [id]);
            gone++;
          }
          continue;
        }
        if (d.value.status !== 'pending') {
          await store.reindexTask(keys.task(id), id, ctx.statusIndex, ctx.options.now(), STATUS_INDEX_TTL_SECONDS);
          gone++;
          continue;
        }
        if (d.value.assignee !== undefined || (type !== undefined && d.value.type !== type)) continue;
        const r = await tryClaim(id, agentId, type);
        if (typeof r !== 'string') return r;
        if (r === 'gone') gone++;
      }
      offset += ids.length - gone;
    }
  }

  /** Every task hash under the namespace, decoded; bad ones in `invalid`. */
  async function scanTasks(): Promise<{ tasks: Array<[string, Task]>; invalid: SwarmList<Task>['invalid'] }> {
    const tasks: Array<[string, Task]> = [];
    const invalid: SwarmList<Task>['invalid'] = [];
    for await (const page of store.scan(`${taskPrefix}*`, ctx.options.scanCount)) {
      const live = page.filter((k) => !isQuarantined(k));
      const stored = await store.readMany(live);
      live.forEach((key, i) => {
        const d = decodeStored(key, stored[i]!, TASK_READER);
        if (d.ok) tasks.push([key.slice(taskPrefix.length), d.value]);
        else if (d.error) invalid.push(invalidEntry(d.error));
      });
    }
    tasks.sort(([, a], [, b]) => byCreation(a, b));
    return { tasks, invalid };
  }

  async function listFromIndex(statuses: readonly TaskStatus[], type: string | undefined, limit: number): Promise<SwarmList<Task>> {
    const items: Task[] = [];
    const invalid: SwarmList<Task>['invalid'] = [];
    for (const status of statuses) {
      const index = ctx.statusIndex[status];
      let offset = 0;
      while (items.length < limit) {
        const ids = await store.indexRange(index, offset, PAGE);
        if (ids.length === 0) break;
        const stored = await store.readMany(ids.map((id) => keys.task(id)));
        let gone = 0;
        for (let i = 0; i < ids.length && items.length < limit; i++) {
          const id = ids[i]!;
          const d = decodeStored(keys.task(id), stored[i]!, TASK_READER);
          if (!d.ok) {
            if (d.error) invalid.push(invalidEntry(d.error));
            else {
              await store.indexRemove(index, [id]);
              gone++;
            }
          } else if (d.value.status !== status) {
            // Changed by an agent that does not keep the index: put the entry where it belongs.
            await store.reindexTask(keys.task(id), id, ctx.statusIndex, ctx.options.now(), STATUS_INDEX_TTL_SECONDS);
            gone++;
          } else if (type === undefined || d.value.type === type) items.push(d.value);
        }
        offset += ids.length - gone;
      }
    }
    return { items, invalid };
  }

  /** Completes or fails a task: only its assignee, once; the same call again is a no-op. */
  async function finish(id: string, agentId: string, status: 'completed' | 'failed', outcome: string): Promise<Task> {
    const agent = parseArgument(agentIdSchema, agentId, 'agent id');
    const field = status === 'completed' ? 'result' : 'error';
    const text = parseArgument(outcomeText, outcome, field);
    const verb = status === 'completed' ? 'complete' : 'fail';
    const change: TaskChange = {
      verb,
      past: status,
      hint: 'claim it first',
      from: ['in_progress', 'needs_assist'],
      guards: { assignee: agent },
      already: { status, assignee: agent },
      set: { status, [field]: text, updated_at: ctx.isoNow() },
      guardFailed: notAssignee(id, agent, verb),
    };
    return (await changeTask(ctx, id, change)).task;
  }

  return {
    async createTask(input) {
      const i = parseInput(createTaskInputSchema, input, 'task input');
      const id = i.id ?? uuidv7(ctx.options.now());
      const key = keys.task(id);
      const at = ctx.isoNow();
      const fields = TaskModel.encode({ id, status: 'pending', description: i.description, type: i.type, data: i.data, created_at: at, updated_at: at });
      const entry = { key: ctx.statusIndex.pending, member: id, score: ctx.options.now(), ttlSeconds: STATUS_INDEX_TTL_SECONDS };
      if (!(await store.createHash(key, fields, TaskModel.ttlSeconds, entry))) {
        throw conflict(`task ${id} exists already (${key}): create it under another id, or leave id out for a new UUIDv7`);
      }
      return decodeOrThrow(key, { type: 'hash', value: fields }, TASK_READER, () => missingTask(ctx, id));
    },

    async getTask(id) {
      const key = keys.task(id);
      return decodeOrThrow(key, await store.read(key), TASK_READER, () => missingTask(ctx, id));
    },

    async listTasks(options = {}) {
      const o = parseInput(listTasksOptionsSchema, options, 'list tasks options');
      const statuses: readonly TaskStatus[] = o.status === undefined ? TASK_STATUSES : Array.isArray(o.status) ? o.status : [o.status];
      const limit = o.limit ?? ctx.options.listLimit;
      if (o.source === 'index') return listFromIndex(statuses, o.type, limit);
      const { tasks, invalid } = await scanTasks();
      const items = tasks
        .map(([, t]) => t)
        .filter((t) => statuses.includes(t.status) && (o.type === undefined || t.type === o.type))
        .slice(0, limit);
      return { items, invalid };
    },

    async claimTask(id, agentId) {
      const agent = parseArgument(agentIdSchema, agentId, 'agent id');
      const change = { ...claimChange(id, agent), already: { status: 'in_progress', assignee: agent } };
      return (await changeTask(ctx, id, change)).task;
    },

    async claimNextTask(agentId, options = {}) {
      const agent = parseArgument(agentIdSchema, agentId, 'agent id');
      const o = parseInput(claimNextOptionsSchema, options, 'claim options');
      if (o.source === 'index') return claimFromIndex(agent, o.type);
      const { tasks } = await scanTasks();
      for (const [id, t] of tasks) {
        if (t.status !== 'pending' || t.assignee !== undefined || (o.type !== undefined && t.type !== o.type)) continue;
        const r = await tryClaim(id, agent, o.type);
        if (typeof r !== 'string') return r;
      }
      return undefined;
    },

    async releaseTask(id, agentId) {
      const agent = parseArgument(agentIdSchema, agentId, 'agent id');
      const change: TaskChange = {
        verb: 'release',
        past: 'released',
        from: ['in_progress', 'needs_assist'],
        guards: { assignee: agent },
        set: { status: 'pending', assignee: '', updated_at: ctx.isoNow() },
        guardFailed: notAssignee(id, agent, 'release'),
      };
      return (await changeTask(ctx, id, change)).task;
    },

    completeTask: (id, agentId, result) => finish(id, agentId, 'completed', result),
    failTask: (id, agentId, error) => finish(id, agentId, 'failed', error),
  };
}
