import { z } from 'zod';
import type { BrokerContext } from '../broker-context';
import { comprehensiveHealth } from '../health/comprehensive-health';
import { defineRoute, type Route } from '../http/route';
import { comprehensiveHealthSchema, liveSchema, readySchema } from '../schemas/responses';
import { topicNameSchema } from '../schemas/names';

const comprehensiveQuerySchema = z.strictObject({
  /** Topics to report besides those the broker has served; may repeat. */
  topic: z
    .union([topicNameSchema, z.array(topicNameSchema).max(100)])
    .transform((t) => (Array.isArray(t) ? t : [t]))
    .optional(),
});

/** Probes and scrapes: /health, /health/ready, /health/comprehensive, /metrics. */
export function healthRoutes(ctx: BrokerContext): Route[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/health',
      summary: 'Alive (the process answers)',
      tags: ['health'],
      auth: 'public',
      response: liveSchema,
      handler: () => ({ status: 'ok' as const, uptimeSeconds: Math.round((Date.now() - ctx.startedAt) / 1000) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/health/ready',
      summary: 'Ready: the backend (Redis) answers PING; 503 when it does not',
      tags: ['health'],
      auth: 'public',
      response: readySchema,
      errors: [503],
      async handler({ reply }) {
        const h = await ctx.transport.health();
        if (!h.ok) reply.code(503);
        return { status: h.ok ? 'ready' : 'unavailable', backend: h.backend, latencyMs: h.latencyMs, ...(h.error === undefined ? {} : { error: h.error }) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/health/comprehensive',
      summary: 'Redis INFO, memory, topics with lag and pending, breaker state, dead-letter depths (?topic=a&topic=b adds topics); 503 when down',
      tags: ['health'],
      query: comprehensiveQuerySchema,
      response: comprehensiveHealthSchema,
      errors: [503],
      async handler({ query, principal, reply }) {
        const topics = query.topic ?? [];
        for (const t of topics) ctx.access.topic(principal, t);
        for (const t of topics) ctx.topics.add(t);
        const report = await comprehensiveHealth(ctx, topics);
        if (report.status === 'down') reply.code(503);
        return report;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/metrics',
      summary: 'Prometheus metrics: publishes, lag, pending, dead letters, breaker state, rate limits',
      tags: ['health'],
      auth: 'public',
      produces: 'text/plain; version=0.0.4',
      async handler({ reply }) {
        reply.type(ctx.metrics.contentType);
        return ctx.metrics.metrics();
      },
    }),
  ];
}
