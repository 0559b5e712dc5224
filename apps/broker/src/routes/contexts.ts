import type { BrokerContext } from '../broker-context';
import { defineRoute, type Route } from '../http/route';
import { contextResponseSchema, sessionResponseSchema } from '../schemas/responses';
import { contextParamsSchema, contextPatchBodySchema, sessionBodySchema, sessionKeyParamsSchema, sessionParamsSchema } from '../schemas/swarm';

/**
 * Shared context and session summaries. Both are filed under a swarm: a context's scope and a
 * session's project are swarm ids, so writes need the swarm and reads its allowlist.
 */
export function contextRoutes(ctx: BrokerContext): Route[] {
  const { swarm, access } = ctx;
  return [
    defineRoute({
      method: 'PATCH',
      url: '/v1/swarm/contexts/:scope/:name',
      summary: 'Merge into a shared context (notes and timeline appended, topics added, shared_data merged); scope = swarm id',
      tags: ['context'],
      params: contextParamsSchema,
      body: contextPatchBodySchema,
      response: contextResponseSchema,
      async handler({ params, body, principal }) {
        access.swarmWrite(principal, params.scope);
        return swarm.shareContext(params.scope, params.name, body);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/swarm/contexts/:scope/:name',
      summary: 'A shared context',
      tags: ['context'],
      params: contextParamsSchema,
      response: contextResponseSchema,
      errors: [404],
      async handler({ params, principal }) {
        await access.swarmRead(principal, params.scope);
        return swarm.getContext(params.scope, params.name);
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/v1/swarm/sessions/:project',
      summary: 'Store (or replace) the summary of a run; project = swarm id',
      tags: ['context'],
      params: sessionParamsSchema,
      body: sessionBodySchema,
      response: sessionResponseSchema,
      async handler({ params, body, principal }) {
        access.swarmWrite(principal, params.project);
        return swarm.putSessionSummary(params.project, body);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/swarm/sessions/:project/:date/:label',
      summary: 'A session summary',
      tags: ['context'],
      params: sessionKeyParamsSchema,
      response: sessionResponseSchema,
      errors: [404],
      async handler({ params, principal }) {
        await access.swarmRead(principal, params.project);
        return swarm.getSessionSummary(params.project, params.date, params.label);
      },
    }),
  ];
}
