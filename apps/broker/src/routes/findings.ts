import type { BrokerContext } from '../broker-context';
import { defineRoute, type Route } from '../http/route';
import { findingResponseSchema } from '../schemas/responses';
import { findingParamsSchema, postFindingBodySchema } from '../schemas/swarm';

/** Findings: what workers claim, how sure they are, what backs it. */
export function findingRoutes(ctx: BrokerContext): Route[] {
  const { swarm, access } = ctx;
  return [
    defineRoute({
      method: 'POST',
      url: '/v1/swarm/findings',
      summary: 'Post a finding (confidence 0..1, citations as URIs) as the token\'s agent, under a task of its swarm',
      tags: ['findings'],
      body: postFindingBodySchema,
      status: 201,
      response: findingResponseSchema,
      errors: [409],
      async handler({ body, principal }) {
        const worker = access.actAs(principal, body.worker_id, 'worker_id');
        if (body.task_id !== undefined) access.swarmWrite(principal, await access.swarmOfTaskId(body.task_id));
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
  ];
}
