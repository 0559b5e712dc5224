import type { BrokerContext } from '../broker-context';
import { envelopeFromBody } from '../http/envelope-body';
import { defineRoute, type Route } from '../http/route';
import { publishBodySchema } from '../schemas/publish';
import { channelPublishResultSchema } from '../schemas/responses';
import { channelParamsSchema } from '../schemas/topics';

/** Fast, fire-and-forget messages: Redis Pub/Sub. */
export function channelRoutes(ctx: BrokerContext): Route[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/v1/channels/:channel/publish',
      summary: 'Publish one message to a Pub/Sub channel (at-most-once); returns how many subscribers got it',
      description: 'Same body as a topic publish. Nothing is kept: a subscriber that is not connected misses it.',
      tags: ['messages'],
      params: channelParamsSchema,
      body: publishBodySchema,
      response: channelPublishResultSchema,
      errors: [413, 429, 503],
      rateLimit: 'publish',
      async handler({ params, body, principal, request }) {
        ctx.access.channel(principal, params.channel);
        const env = await envelopeFromBody(ctx, principal, body, request);
        const receivers = await ctx.transport.pubsub.publish(params.channel, env);
        request.log.info({ channel: params.channel, envelopeId: env.id, receivers }, 'published to channel');
        return { id: env.id, channel: params.channel, receivers };
      },
    }),
  ];
}
