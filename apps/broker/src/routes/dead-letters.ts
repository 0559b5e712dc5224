import type { ReplaySelection } from '@agentbus/reliability';
import type { BrokerContext } from '../broker-context';
import { HttpError } from '../http/http-error';
import { defineRoute, type Route } from '../http/route';
import { deadLetterListSchema, deadLetterSchema, purgeResultSchema, replayResultSchema } from '../schemas/responses';
import { deadLetterListQuerySchema, deadLetterParamsSchema, purgeQuerySchema, replayBodySchema, topicParamsSchema } from '../schemas/topics';

/** A topic's dead-letter stream: list, inspect, replay, purge. */
export function deadLetterRoutes(ctx: BrokerContext): Route[] {
  const dlq = ctx.reliability.deadLetters;
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/topics/:topic/dlq',
      summary: 'Dead letters of a topic, oldest first, with the depth',
      tags: ['dead letters'],
      params: topicParamsSchema,
      query: deadLetterListQuerySchema,
      response: deadLetterListSchema,
      async handler({ params, query, principal }) {
        ctx.access.topic(principal, params.topic);
        const [items, depth] = await Promise.all([dlq.list(params.topic, query), dlq.depth(params.topic)]);
        ctx.topics.add(params.topic);
        return { topic: params.topic, depth, items };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/topics/:topic/dlq/:id',
      summary: 'One dead letter, with its reason, raw text and every attempt',
      tags: ['dead letters'],
      params: deadLetterParamsSchema,
      response: deadLetterSchema,
      errors: [404],
      async handler({ params, principal }) {
        ctx.access.topic(principal, params.topic);
        const d = await dlq.get(params.topic, params.id);
        if (!d) throw new HttpError(404, 'NOT_FOUND', `no dead letter ${params.id} in topic ${params.topic} (GET /v1/topics/${params.topic}/dlq lists them)`);
        return d;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/topics/:topic/dlq/replay',
      summary: 'Replay dead letters (admin): publish first, then remove, so a crash replays twice but never loses one',
      tags: ['dead letters'],
      params: topicParamsSchema,
      body: replayBodySchema,
      response: replayResultSchema,
      errors: [503],
      async handler({ params, body, principal, request }) {
        ctx.access.topic(principal, params.topic);
        ctx.access.admin(principal, 'replaying dead letters');
        if (body.destination !== undefined) ctx.access.topic(principal, body.destination);
        const selection: ReplaySelection =
          body.ids !== undefined
            ? { ids: body.ids }
            : body.all === true
              ? 'all'
              : { ...(body.from === undefined ? {} : { from: body.from }), ...(body.to === undefined ? {} : { to: body.to }), ...(body.count === undefined ? {} : { count: body.count }) };
        const r = await dlq.replay(params.topic, selection, body.destination === undefined ? {} : { to: body.destination });
        request.log.info({ topic: params.topic, replayed: r.replayed, skipped: r.skipped.length, destination: body.destination }, 'replayed dead letters');
        return r;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/v1/topics/:topic/dlq',
      summary: 'Purge dead letters (admin): ?ids=a,b or ?all=true',
      tags: ['dead letters'],
      params: topicParamsSchema,
      query: purgeQuerySchema,
      response: purgeResultSchema,
      async handler({ params, query, principal, request }) {
        ctx.access.topic(principal, params.topic);
        ctx.access.admin(principal, 'purging dead letters');
        const purged = await dlq.purge(params.topic, query.ids ? { ids: query.ids } : 'all');
        request.log.info({ topic: params.topic, purged }, 'purged dead letters');
        return { purged };
      },
    }),
  ];
}
