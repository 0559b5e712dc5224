import { swarmOfTask } from '../auth/access';
import type { BrokerContext } from '../broker-context';
import { defineRoute, type Route } from '../http/route';
import { conflictReportSchema, findingListSchema, findingResponseSchema } from '../schemas/responses';
import { conflictsQuerySchema, findingParamsSchema, listFindingsQuerySchema, postFindingBodySchema, taskParamsSchema } from '../schemas/swarm';

/** Findings: what workers claim, how sure they are, what backs it; a task's findings and their conflicts. */
export function findingRoutes(ctx: BrokerContext): Route[] {
  const { swarm, access } = ctx;
  return [
    defineRoute({
      method: 'POST',
      url: '/v1/swarm/findings',
      summary: 'Post a finding (confidence 0..1, citations as URIs) as the token\'s agent, under an existing task of its swarm (404 when the task does not exist)',
      tags: ['findings'],
      body: postFindingBodySchema,
      status: 201,
      response: findingResponseSchema,
      errors: [404, 409],
      async handler({ body, principal }) {
        const worker = access.actAs(principal, body.worker_id, 'worker_id');
        // A finding filed under a task that does not exist would be indexed under an id anyone
        // may create later, and read as that task's; getTask answers 404 (409: unreadable) naming it.
        if (body.task_id !== undefined) access.swarmWrite(principal, swarmOfTask(await swarm.getTask(body.task_id), access.defaultSwarm));
        return swarm.postFinding({ ...body, worker_id: worker });
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/swarm/findings/:id',
      summary: 'One finding',
      tags: ['findings'],
      params: findingParamsSchema,
      response: findingResponseSchema,
      errors: [404],
      async handler({ params, principal }) {
        const finding = await swarm.getFinding(params.id);
        // A finding of no task belongs to no swarm: any token may read it.
        if (finding.task_id !== undefined) await access.swarmRead(principal, await access.swarmOfTaskId(finding.task_id));
        return finding;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/swarm/tasks/:id/findings',
      summary: 'Findings of a task, oldest first',
      tags: ['findings'],
      params: taskParamsSchema,
      query: listFindingsQuerySchema,
      response: findingListSchema,
      async handler({ params, query, principal }) {
        access.listSource(principal, query.source);
        await access.swarmRead(principal, await access.swarmOfTaskId(params.id));
        return swarm.listFindings(params.id, query);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/swarm/tasks/:id/conflicts',
      summary: 'Pairs of a task\'s findings that disagree with a confidence gap above the threshold (default 0.3)',
      tags: ['findings'],
      params: taskParamsSchema,
      query: conflictsQuerySchema,
      response: conflictReportSchema,
      async handler({ params, query, principal }) {
        access.listSource(principal, query.source);
        await access.swarmRead(principal, await access.swarmOfTaskId(params.id));
        return swarm.detectConflicts(params.id, query);
      },
    }),
  ];
}
