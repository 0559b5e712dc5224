import type { BrokerContext } from '../broker-context';
import { envelopeFromBody } from '../http/envelope-body';
import { defineRoute, type Route } from '../http/route';
import { publishBodySchema, publishQuerySchema } from '../schemas/publish';
import { publishResultSchema, topicStatsSchema, trimResultSchema } from '../schemas/responses';
import { topicParamsSchema, trimBodySchema } from '../schemas/topics';

/** Durable messages: publish to a topic's stream, read its stats, trim it. */
export function topicRoutes(ctx: BrokerContext): Route[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/v1/topics/:topic/messages',
      summary: 'Publish one message to a topic (Redis Streams: durable, at-least-once); returns its id',
      description:
        'The body is a whole envelope (required when it is signed) or the fields to build one: `type`, `payload`, and optionally `to`, `act`, `priority`, `ttlMs`, `correlationId`, `causationId`, `traceparent`, `id`. `from` is the token\'s agent. Goes through the per-token rate limit and the publish circuit breaker.',
      tags: ['messages'],
      params: topicParamsSchema,
      query: publishQuerySchema,
      body: publishBodySchema,
      status: 201,
      response: publishResultSchema,
      errors: [409, 413, 429, 503],
      rateLimit: 'publish',
      async handler({ params, query, body, principal, request }) {
        ctx.access.topic(principal, params.topic);
        const env = await envelopeFromBody(ctx, principal, body, request);
        const r = await ctx.transport.publish(params.topic, env, query);
        ctx.topics.add(params.topic);
        request.log.info({ topic: params.topic, envelopeId: r.id, streamId: r.streamId, duplicate: r.duplicate, from: env.from }, 'published');
        return r;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/topics/:topic',
      summary: 'Topic stats: length, groups, lag, pending, consumers (per lane and partition)',
      tags: ['messages'],
      params: topicParamsSchema,
      response: topicStatsSchema,
      async handler({ params, principal }) {
        ctx.access.topic(principal, params.topic);
        const stats = await ctx.transport.stats(params.topic);
        ctx.topics.add(params.topic);
        return stats;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/topics/:topic/trim',
      summary: 'Apply retention now (admin): never past an entry a group has not acked, unless hardMaxLen',
      description: 'An empty body applies the topic\'s own policy (default: 24 h). `hardMaxLen` drops unacked entries too, and counts them.',
      tags: ['messages'],
      params: topicParamsSchema,
      body: trimBodySchema,
      response: trimResultSchema,
      async handler({ params, body, principal, request }) {
        ctx.access.topic(principal, params.topic);
        ctx.access.admin(principal, 'trimming a topic');
        const policy = Object.keys(body).length > 0 ? body : undefined;
        const r = await ctx.transport.trim(params.topic, policy);
        request.log.info({ topic: params.topic, policy, ...r }, 'trimmed');
        return r;
      },
    }),
  ];
}
