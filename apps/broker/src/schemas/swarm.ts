import { z } from 'zod';
import { AGENT_STATUSES, TASK_STATUSES } from '@agentbus/schema';
import {
  agentIdSchema,
  allowlistSchema,
  contextPatchSchema,
  createTaskInputSchema,
  escalateInputSchema,
  listSourceSchema,
  postFindingInputSchema,
  recordIdSchema,
  registerAgentInputSchema,
  remediateOptionsSchema,
  sessionSummaryInputSchema,
} from '@agentbus/swarm';
import { swarmIdSchema } from './names';

/**
 * HTTP shapes of the swarm calls. Bodies are @agentbus/swarm's own schemas; where a body names
 * the acting agent (`agent_id`, `worker_id`, a roster entry's `id`) it is optional here and
 * defaults to the token's agent, and when given it must be that agent.
 */

export const taskParamsSchema = z.strictObject({ id: recordIdSchema });
export const findingParamsSchema = z.strictObject({ id: recordIdSchema });
export const contextParamsSchema = z.strictObject({ scope: swarmIdSchema, name: recordIdSchema });
export const sessionParamsSchema = z.strictObject({ project: swarmIdSchema });
export const sessionKeyParamsSchema = z.strictObject({ project: swarmIdSchema, date: recordIdSchema, label: recordIdSchema });
export const registryParamsSchema = z.strictObject({ swarm: swarmIdSchema });
export const registryAgentParamsSchema = z.strictObject({ swarm: swarmIdSchema, id: agentIdSchema });

/** Body of POST /v1/swarm/tasks: createTask's input; `data.swarm` files it under a swarm (default: the token's first swarm). */
export const createTaskBodySchema = createTaskInputSchema;

const statusSchema = z.enum(TASK_STATUSES);
const limit = z.coerce.number().int().min(1).max(10_000).optional();

/** Query of GET /v1/swarm/tasks: `status` may repeat or be comma-separated. */
export const listTasksQuerySchema = z.strictObject({
  status: z
    .union([z.string(), z.array(z.string())])
    .transform((s) => (Array.isArray(s) ? s : [s]).flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(statusSchema))
    .optional(),
  type: z.string().min(1).max(256).optional(),
  source: listSourceSchema.optional(),
  limit,
  /** The swarm whose tasks to list. Default: the token's first swarm. */
  swarm: swarmIdSchema.optional(),
});

export const agentBodySchema = z.strictObject({ agent_id: agentIdSchema.optional() });

export const claimNextBodySchema = z.strictObject({
  agent_id: agentIdSchema.optional(),
  type: z.string().min(1).max(256).optional(),
  source: listSourceSchema.optional(),
  /** Default: the token's first swarm. */
  swarm: swarmIdSchema.optional(),
});

const outcome = z.string().min(1, 'must not be empty').max(65_536);
export const completeBodySchema = z.strictObject({ agent_id: agentIdSchema.optional(), result: outcome });
export const failBodySchema = z.strictObject({ agent_id: agentIdSchema.optional(), error: outcome });
export const escalateBodySchema = escalateInputSchema.extend({ agent_id: agentIdSchema.optional() });
export const postFindingBodySchema = postFindingInputSchema.extend({ worker_id: agentIdSchema.optional() });

export const listFindingsQuerySchema = z.strictObject({ source: listSourceSchema.optional(), limit });
export const conflictsQuerySchema = z.strictObject({
  threshold: z.coerce.number().min(0).max(1).optional(),
  source: listSourceSchema.optional(),
});

export const contextPatchBodySchema = contextPatchSchema;
export const sessionBodySchema = sessionSummaryInputSchema;
export const registerAgentBodySchema = registerAgentInputSchema.extend({ id: agentIdSchema.optional() });
export const heartbeatBodySchema = z.strictObject({ status: z.enum(AGENT_STATUSES).optional() });
export const allowlistBodySchema = allowlistSchema;
export const remediateBodySchema = remediateOptionsSchema;
