import Fastify, { type FastifyInstance } from 'fastify';
import type { WebAsset } from '../web-assets';

export interface HttpServerOptions {
  assets: readonly WebAsset[];
  /** What `/healthz` reports. */
  health: () => Record<string, unknown>;
  /** The Prometheus text for GET /metrics; no route without it. */
  metrics?: () => Promise<{ body: string; contentType: string }>;
}

/**
 * The page is static and talks only to this origin's WebSocket, so the policy allows nothing
 * else: no inline script, no third-party anything.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** The HTTP side: the web page, a health check and metrics. WebSocket upgrades are handled beside it. */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const app = Fastify({ logger: false });
  for (const asset of options.assets) {
    app.get(asset.route, async (_request, reply) => {
      reply.headers({ ...SECURITY_HEADERS, 'content-type': asset.type, 'cache-control': 'no-cache' });
      return asset.body;
    });
  }
  app.get('/healthz', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { ok: true, ...options.health() };
  });
  const metrics = options.metrics;
  if (metrics) {
    app.get('/metrics', async (_request, reply) => {
      const { body, contentType } = await metrics();
      reply.headers({ 'content-type': contentType, 'cache-control': 'no-store' });
      return body;
    });
  }
  return app;
}
