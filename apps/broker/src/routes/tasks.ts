import { ERROR_CODES, isAgentbusError, type Task } from '@agentbus/schema';
import type { z } from 'zod';
import type { Principal } from '../auth/principal';
import { swarmOfTask } from '../auth/access';
import type { BrokerContext } from '../broker-context';
import { defineRoute, type Parsed, type Route } from '../http/route';
import {
  claimNextResultSchema,
  escalationResultSchema,
  taskListSchema,
  taskResponseSchema,
} from '../schemas/responses';
import {
  agentBodySchema,
  claimNextBodySchema,
  completeBodySchema,
  createTaskBodySchema,
  escalateBodySchema,
  failBodySchema,
  listTasksQuerySchema,
  taskParamsSchema,
} from '../schemas/swarm';

/** Index reads of a swarm-filtered listing: enough that the filter leaves a full page in practice. */
const SCAN_LIMIT = 10_000;

/** Tasks: create, read, list, claim (atomic: exactly one claimant wins; leased), renew, release, complete, fail, escalate. */
export function taskRoutes(ctx: BrokerContext): Route[] {
  const { swarm, access } = ctx;

  /** The task, after checking the principal may change it (its swarm is one of the token's). */
  async function writable(p: Principal, id: string): Promise<Task> {
    const task = await swarm.getTask(id);
    access.swarmWrite(p, swarmOfTask(task, access.defaultSwarm));
    return task;
  }

  /** POST /v1/swarm/tasks/:id/<action>: the token acts as `agent_id` on a task of a swarm it may write. */
  function assigneeRoute<B extends z.ZodType<{ agent_id?: string | undefined }>>(
    action: string,
    summary: string,
    body: B,
    change: (id: string, agent: string, body: Parsed<B>) => Promise<Task>,
  ): Route {
    return defineRoute({
      method: 'POST',
      url: `/v1/swarm/tasks/:id/${action}`,
      summary,
      tags: ['tasks'],
      params: taskParamsSchema,
      body,
      response: taskResponseSchema,
      errors: [404, 409],
      async handler({ params, body: b, principal }) {
        const agent = access.actAs(principal, b.agent_id, 'agent_id');
        await writable(principal, params.id);
        return change(params.id, agent, b);
      },
    });
  }

  /** The swarm a listing or claim-next is about: given, else the token's home (dev mode: all). */
  function swarmFilter(p: Principal, given: string | undefined): string | undefined {
    return given ?? (p.dev ? undefined : access.homeSwarm(p));
  }

  return [
    defineRoute({
      method: 'POST',
      url: '/v1/swarm/tasks',
      summary: 'Create a pending task, filed under data.swarm (default: the token\'s first swarm)',
      tags: ['tasks'],
      body: createTaskBodySchema,
      status: 201,
      response: taskResponseSchema,
      errors: [409],
      async handler({ body, principal }) {
        const given = typeof body.data.swarm === 'string' ? body.data.swarm : undefined;
        const swarmId = given ?? (principal.dev ? access.defaultSwarm : access.homeSwarm(principal));
        access.swarmWrite(principal, swarmId);
        return swarm.createTask({ ...body, data: { ...body.data, swarm: swarmId } });
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/swarm/tasks',
      summary: 'List tasks of a swarm by status and type (?status=pending&status=in_progress&type=&source=index|scan&limit=&swarm=)',
      tags: ['tasks'],
      query: listTasksQuerySchema,
      response: taskListSchema,
      async handler({ query, principal }) {
        access.listSource(principal, query.source);
        const swarmId = swarmFilter(principal, query.swarm);
        if (swarmId !== undefined) await access.swarmRead(principal, swarmId);
        const options = {
          ...(query.status && query.status.length > 0 ? { status: query.status } : {}),
          ...(query.type === undefined ? {} : { type: query.type }),
          ...(query.source === undefined ? {} : { source: query.source }),
        };
        const limit = query.limit ?? 100;
        if (swarmId === undefined) return swarm.listTasks({ ...options, limit });
        const all = await swarm.listTasks({ ...options, limit: SCAN_LIMIT });
        return { items: all.items.filter((t) => swarmOfTask(t, access.defaultSwarm) === swarmId).slice(0, limit), invalid: all.invalid };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/swarm/tasks/claim-next',
      summary:
        'Claim a task of the swarm (of a type): one whose claim lease ran out, else the oldest pending unassigned one; { task: null } when there is none',
      tags: ['tasks'],
      body: claimNextBodySchema,
      response: claimNextResultSchema,
      async handler({ body, principal }) {
        const agent = access.actAs(principal, body.agent_id, 'agent_id');
        access.listSource(principal, body.source);
        const swarmId = swarmFilter(principal, body.swarm);
        const options = { ...(body.type === undefined ? {} : { type: body.type }), ...(body.source === undefined ? {} : { source: body.source }) };
        if (swarmId === undefined) return { task: (await swarm.claimNextTask(agent, options)) ?? null };
        access.swarmWrite(principal, swarmId);
        // The swarm's own claimNextTask does not know swarms: walk this swarm's claimable tasks
        // (claims whose lease ran out first, as claimNextTask does, then pending ones) and claim
        // each with the atomic claim, which checks the lease again, until one is won.
        const now = new Date().toISOString();
        const open = await swarm.listTasks({ ...options, status: ['in_progress', 'pending'], limit: SCAN_LIMIT });
        for (const t of open.items) {
          const claimable = t.status === 'pending' ? t.assignee === undefined : typeof t.claimed_until === 'string' && t.claimed_until < now;
          if (!claimable || swarmOfTask(t, access.defaultSwarm) !== swarmId) continue;
          try {
            return { task: await swarm.claimTask(t.id, agent) };
          } catch (error) {
            if (isAgentbusError(error) && (error.code === ERROR_CODES.CONFLICT || error.code === ERROR_CODES.NOT_FOUND)) continue;
            throw error;
          }
        }
        return { task: null };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/swarm/tasks/:id',
      summary: 'One task',
      tags: ['tasks'],
      params: taskParamsSchema,
      response: taskResponseSchema,
      errors: [404, 409],
      async handler({ params, principal }) {
        const task = await swarm.getTask(params.id);
        await access.swarmRead(principal, swarmOfTask(task, access.defaultSwarm));
        return task;
      },
    }),
    assigneeRoute('claim', 'Claim a task atomically: of any number of concurrent claimants exactly one wins, the others get 409', agentBodySchema, (id, agent) =>
      swarm.claimTask(id, agent),
    ),
    assigneeRoute(
      'renew',
      'Renew the claim lease (claimed_until = now + the swarm\'s claimLeaseMs; only its assignee): a claim not renewed in time can be taken by another agent',
      agentBodySchema,
      (id, agent) => swarm.renewClaim(id, agent),
    ),
    assigneeRoute('release', 'Give a claimed task back (only its assignee)', agentBodySchema, (id, agent) => swarm.releaseTask(id, agent)),
    assigneeRoute('complete', 'Complete a task with a result (only its assignee)', completeBodySchema, (id, agent, body) =>
      swarm.completeTask(id, agent, body.result),
    ),
    assigneeRoute('fail', 'Fail a task with an error (only its assignee)', failBodySchema, (id, agent, body) => swarm.failTask(id, agent, body.error)),
    defineRoute({
      method: 'POST',
      url: '/v1/swarm/tasks/:id/escalate',
      summary: 'Escalate to a human: the task becomes needs_assist and an escalation goes to the escalations stream',
      tags: ['tasks'],
      params: taskParamsSchema,
      body: escalateBodySchema,
      response: escalationResultSchema,
      errors: [404, 409, 503],
      async handler({ params, body, principal, request }) {
        const agent = access.actAs(principal, body.agent_id, 'agent_id');
        await writable(principal, params.id);
        const r = await swarm.escalate(params.id, { ...body, agent_id: agent });
        request.log.warn({ taskId: params.id, escalationId: r.id, reason: body.reason, agent }, 'task escalated to a human');
        return r;
      },
    }),
  ];
}
