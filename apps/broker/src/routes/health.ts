import { z } from 'zod';
import type { BrokerContext } from '../broker-context';
import { comprehensiveHealth } from '../health/comprehensive-health';
import { filterTopicSeries } from '../health/metrics-filter';
import { redactAddresses } from '../http/redact';
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
      async handler({ reply, request }) {
        const h = await ctx.transport.health();
        if (h.ok) return { status: 'ready', backend: h.backend, latencyMs: h.latencyMs };
        // The probe is public: it says that Redis is down, the log says where it was looked for.
        request.log.warn({ error: h.error }, 'backend not ready');
        reply.code(503).header('retry-after', '1');
        return { status: 'unavailable', backend: h.backend, latencyMs: h.latencyMs, error: redactAddresses(h.error ?? 'unknown error') };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/health/comprehensive',
      summary:
        'Redis INFO (admin tokens), memory, breaker state, and the lag, pending entries and dead letters of the topics the token may use (?topic=a&topic=b adds topics); 503 when down',
      tags: ['health'],
      query: comprehensiveQuerySchema,
      response: comprehensiveHealthSchema,
      errors: [429, 503],
      backend: 'serve',
      async handler({ query, principal, reply }) {
        const extra = query.topic ?? [];
        for (const t of extra) ctx.access.topic(principal, t);
        for (const t of extra) ctx.topics.add(t);
        const topics = [...new Set([...ctx.topics.list(), ...extra])].filter((t) => ctx.access.seesTopic(principal, t));
        const report = await comprehensiveHealth(ctx, { topics, redisInfo: principal.admin });
        if (report.status === 'down') reply.code(503).header('retry-after', '1');
        return report;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/metrics',
      summary: 'Prometheus metrics: publishes, lag, pending, dead letters, breaker state, rate limits; per-topic series only of the topics the token may use (all: an admin token; none: no token)',
      tags: ['health'],
      auth: 'optional',
      produces: 'text/plain; version=0.0.4',
      async handler({ reply, principal }) {
        const text = await ctx.metrics.metrics();
        reply.type(ctx.metrics.contentType);
        return filterTopicSeries(text, (topic) => ctx.access.seesTopic(principal, topic));
      },
    }),
  ];
}
