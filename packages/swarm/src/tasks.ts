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
import { decodeOrThrow } from './internal/records';
import { STATUS_INDEX_TTL_SECONDS, type SwarmContext } from './internal/swarm-context';
import type { SwarmList } from './swarm-list';
import { changeTask, missingTask, TASK_READER, type TaskChange } from './internal/task-ops';
import { createClaims, leaseExpired } from './internal/claims';
import { createTaskListing } from './internal/task-listing';

/** Task coordination: create, read, list, claim (atomically, with a lease), renew the claim, release, complete, fail. */
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
   * Atomically takes a pending, unassigned task, or an in_progress one whose claim lease ran out:
   * exactly one of any number of concurrent claimants wins, the others get CONFLICT. The claim
   * holds a lease until `claimed_until` (now + `claimLeaseMs`; renewClaim moves it). Claiming a
   * task this agent already holds returns it.
   */
  claimTask(id: string, agentId: string): Promise<Task>;
  /**
   * Claims a task of `type`: first one whose claim lease ran out (its claimant is taken to be
   * dead; `reclaimed_count` counts these), else the oldest pending unassigned one; undefined when
   * there is none.
   */
  claimNextTask(agentId: string, options?: ClaimNextOptions): Promise<Task | undefined>;
  /**
   * Moves the claim lease (`claimed_until`) to now + `claimLeaseMs`; only by the assignee, while
   * in_progress or needs_assist. Call it well within the lease (e.g. every third of it) while
   * working, or claimNextTask may hand the task to another agent once the lease runs out.
   */
  renewClaim(id: string, agentId: string): Promise<Task>;
  /** Back to pending and unassigned; only by its assignee (releasing a task nobody holds is a CONFLICT). */
  releaseTask(id: string, agentId: string): Promise<Task>;
  /** Completed with a result text; only by its assignee, from in_progress or needs_assist. */
  completeTask(id: string, agentId: string, result: string): Promise<Task>;
  /** Failed with an error text; only by its assignee, from in_progress or needs_assist. */
  failTask(id: string, agentId: string, error: string): Promise<Task>;
}

const outcomeText = z.string().min(1, 'must not be empty').max(65_536, 'must be at most 65536 characters');
function notAssignee(id: string, agentId: string, verb: string) {
  return (fields: Record<string, string>) =>
    `cannot ${verb} task ${id}: it is assigned to ${fields.assignee || 'nobody'}, not ${agentId}; only its assignee can ${verb} it (claim it first)`;
}

export function createSwarmTasks(ctx: SwarmContext): SwarmTasks {
  const { store, keys } = ctx;
  const { lease, claimChange, tryClaim, claimFromIndexes } = createClaims(ctx);
  const { scanTasks, listFromIndex } = createTaskListing(ctx);

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
      unset: ['claimed_until'],
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
      if (i.ttl_seconds !== undefined) fields.ttl_seconds = String(i.ttl_seconds);
      const ttl = i.ttl_seconds ?? TaskModel.ttlSeconds;
      const entry = { key: ctx.statusIndex.pending, member: id, score: ctx.options.now(), ttlSeconds: Math.max(ttl, STATUS_INDEX_TTL_SECONDS) };
      if (!(await store.createHash(key, fields, ttl, entry))) {
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
      if (o.source === 'index') {
        return claimFromIndexes(agent, o.type);
      }
      const { tasks } = await scanTasks();
      const now = ctx.isoNow();
      for (const [id, t] of tasks) {
        const claimable = (t.status === 'pending' && t.assignee === undefined) || leaseExpired(t, now);
        if (!claimable || (o.type !== undefined && t.type !== o.type)) continue;
        const r = await tryClaim(id, agent, o.type);
        if (typeof r !== 'string') return r;
      }
      return undefined;
    },

    async renewClaim(id, agentId) {
      const agent = parseArgument(agentIdSchema, agentId, 'agent id');
      const l = lease(ctx.options.now());
      const change: TaskChange = {
        verb: 'renew the claim on',
        past: 'renewed',
        hint: 'claim it first',
        from: ['in_progress', 'needs_assist'],
        guards: { assignee: agent },
        set: l.set,
        leaseScore: l.leaseScore,
        guardFailed: notAssignee(id, agent, 'renew the claim on'),
      };
      return (await changeTask(ctx, id, change)).task;
    },

    async releaseTask(id, agentId) {
      const agent = parseArgument(agentIdSchema, agentId, 'agent id');
      const change: TaskChange = {
        verb: 'release',
        past: 'released',
        from: ['in_progress', 'needs_assist'],
        guards: { assignee: agent },
        set: { status: 'pending', assignee: '', updated_at: ctx.isoNow() },
        unset: ['claimed_until'],
        guardFailed: notAssignee(id, agent, 'release'),
      };
      return (await changeTask(ctx, id, change)).task;
    },

    completeTask: (id, agentId, result) => finish(id, agentId, 'completed', result),
    failTask: (id, agentId, error) => finish(id, agentId, 'failed', error),
  };
}
