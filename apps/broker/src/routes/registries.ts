import { checkKeyChange } from '../auth/key-rotation';
import type { BrokerContext } from '../broker-context';
import { defineRoute, type Route } from '../http/route';
import { registryResponseSchema, remediationScanResponseSchema, swarmAgentResponseSchema } from '../schemas/responses';
import {
  allowlistBodySchema,
  heartbeatBodySchema,
  registerAgentBodySchema,
  registryAgentParamsSchema,
  registryParamsSchema,
  remediateBodySchema,
} from '../schemas/swarm';

/** The swarm registry (who is in a swarm, their public keys, who may read it) and remediation scans. */
export function registryRoutes(ctx: BrokerContext): Route[] {
  const { swarm, access } = ctx;
  return [
    defineRoute({
      method: 'POST',
      url: '/v1/swarm/registries/:swarm/agents',
      summary:
        'Register the token\'s agent in its swarm (role, status, public_key for signed envelopes); changing a public_key it already has, or registering another agent, needs an admin token',
      tags: ['registry'],
      params: registryParamsSchema,
      body: registerAgentBodySchema,
      response: registryResponseSchema,
      async handler({ params, body, principal, request }) {
        access.swarmWrite(principal, params.swarm);
        // An admin token registers any agent of its swarms: that is how a key is rotated.
        const id = principal.admin && !principal.dev && body.id !== undefined ? body.id : access.actAs(principal, body.id, 'id');
        await checkKeyChange(swarm, principal, params.swarm, id, body.public_key);
        const r = await swarm.registerAgent(params.swarm, { ...body, id });
        request.log.info({ swarm: params.swarm, agent: id, publicKey: body.public_key !== undefined }, 'agent registered');
        return r;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/swarm/registries/:swarm',
      summary: 'A swarm\'s roster, roles, artifacts and allowlist (other swarms: only when the allowlist names theirs)',
      tags: ['registry'],
      params: registryParamsSchema,
      response: registryResponseSchema,
      errors: [404],
      async handler({ params, principal }) {
        await access.swarmRead(principal, params.swarm);
        return swarm.getRoster(params.swarm);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/swarm/registries/:swarm/agents/:id/heartbeat',
      summary: 'The agent is alive (last_seen = now, and its status)',
      tags: ['registry'],
      params: registryAgentParamsSchema,
      body: heartbeatBodySchema,
      response: swarmAgentResponseSchema,
      errors: [404],
      async handler({ params, body, principal }) {
        access.swarmWrite(principal, params.swarm);
        const id = access.actAs(principal, params.id, 'the agent id in the path');
        return swarm.heartbeat(params.swarm, id, body.status);
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/v1/swarm/registries/:swarm/allowlist',
      summary: 'Replace the list of other swarms allowed to read this swarm (a JSON array of swarm ids; admin)',
      tags: ['registry'],
      params: registryParamsSchema,
      body: allowlistBodySchema,
      response: registryResponseSchema,
      errors: [404],
      async handler({ params, body, principal, request }) {
        access.swarmWrite(principal, params.swarm);
        // Opening a swarm to other swarms' reads is an operator's decision, not any member's.
        access.admin(principal, `replacing the allowlist of swarm ${params.swarm}`);
        const r = await swarm.setAllowlist(params.swarm, body);
        request.log.info({ swarm: params.swarm, allowlist: body }, 'allowlist set');
        return r;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/swarm/remediation',
      summary: 'Scan the namespace for swarm keys of the wrong TYPE or without a TTL (admin); fix only with apply: true',
      tags: ['registry'],
      body: remediateBodySchema,
      response: remediationScanResponseSchema,
      async handler({ body, principal, request }) {
        access.admin(principal, 'remediation');
        const r = await swarm.remediate(body);
        request.log.info({ applied: r.applied, wrongType: r.wrong_type_found, missingTtl: r.missing_ttl_found }, 'remediation scan');
        return r;
      },
    }),
  ];
}
