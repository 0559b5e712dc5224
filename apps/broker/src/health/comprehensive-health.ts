import type { BrokerContext } from '../broker-context';
import { redactAddresses } from '../http/redact';
import type { ComprehensiveHealth } from '../schemas/responses';
import { readRedisInfo } from './redis-info';

type TopicHealth = ComprehensiveHealth['topics'][number];

async function topicHealth(ctx: BrokerContext, topic: string): Promise<TopicHealth> {
  try {
    const [stats, deadLetters, delayedRetries] = await Promise.all([
      ctx.transport.stats(topic),
      ctx.reliability.deadLetters.depth(topic),
      ctx.reliability.delayed(topic),
    ]);
    const lags = stats.groups.map((g) => g.lag);
    return {
      topic,
      length: stats.length,
      groups: stats.groups.map((g) => ({ name: g.name, pending: g.pending, lag: g.lag, consumers: g.consumers.length })),
      maxLag: lags.length === 0 ? 0 : lags.includes(null) ? null : Math.max(...(lags as number[])),
      deadLetters,
      delayedRetries,
    };
  } catch (error) {
    return { topic, error: redactAddresses(error instanceof Error ? error.message : String(error)) };
  }
}

export interface ComprehensiveHealthScope {
  /** The topics to report: those the caller may see. */
  topics: readonly string[];
  /** Redis INFO (addresses of replicas and masters, the config file, the keyspace): admins only. */
  redisInfo: boolean;
}

/**
 * Everything an operator looks at first: the backend (PING, Redis INFO), this process's memory,
 * the breaker, and each topic's length, lag, pending entries and dead letters. `down` when the
 * backend does not answer; `degraded` when the breaker is not closed, dead letters wait, or a
 * topic cannot be read. What a backend error says about where Redis lives is left out.
 */
export async function comprehensiveHealth(ctx: BrokerContext, scope: ComprehensiveHealthScope): Promise<ComprehensiveHealth> {
  const probed = await ctx.transport.health();
  const backend = probed.error === undefined ? probed : { ...probed, error: redactAddresses(probed.error) };
  const reasons: string[] = [];
  let redisInfo: ComprehensiveHealth['redisInfo'];
  let topicReports: TopicHealth[];
  if (backend.ok) {
    if (ctx.transport.redis && scope.redisInfo) {
      try {
        redisInfo = await readRedisInfo(ctx.transport.redis);
      } catch (error) {
        reasons.push(`INFO failed: ${redactAddresses((error as Error).message)}`);
      }
    }
    topicReports = await Promise.all(scope.topics.map((t) => topicHealth(ctx, t)));
  } else {
    reasons.push(`backend ${backend.backend} does not answer: ${backend.error ?? 'unknown error'}`);
    topicReports = scope.topics.map((topic) => ({ topic, error: 'backend down' }));
  }
  const breaker = ctx.transport.breaker.stats();
  if (breaker.state !== 'closed') reasons.push(`publish circuit breaker is ${breaker.state}`);
  for (const t of topicReports) {
    if (t.error !== undefined && backend.ok) reasons.push(`topic ${t.topic}: ${t.error}`);
    if ((t.deadLetters ?? 0) > 0) reasons.push(`topic ${t.topic}: ${t.deadLetters} dead letters waiting`);
  }
  const m = process.memoryUsage();
  return {
    status: !backend.ok ? 'down' : reasons.length > 0 ? 'degraded' : 'ok',
    checkedAt: new Date().toISOString(),
    uptimeSeconds: Math.round((Date.now() - ctx.startedAt) / 1000),
    backend: { ...backend },
    ...(redisInfo === undefined ? {} : { redisInfo }),
    memory: { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external },
    breaker: { ...breaker, spooled: ctx.transport.spoolSize() },
    topics: topicReports,
    reasons,
  };
}
