import Fastify, { type FastifyInstance } from 'fastify';
import {
  combineHooks,
  createMetrics,
  parseTraceparent,
  traceLogFields,
  tracingReliabilityHooks,
  withTracing,
  type Metrics,
} from '@agentbus/metrics';
import {
  createRateLimiter,
  createReliability,
  withCircuitBreaker,
  type BreakerTransport,
  type Reliability,
  type ReliabilityOptions,
} from '@agentbus/reliability';
import { createSwarm, type Swarm } from '@agentbus/swarm';
import { createTransport, type Transport } from '@agentbus/transport';
import { createAccess } from './auth/access';
import { authConfigFromEnv, parseAuthConfig, type ResolvedAuthConfig } from './auth/auth-config';
import { createSignatureCheck } from './auth/signatures';
import { createTokenStore, type TokenStore } from './auth/tokens';
import type { BrokerContext } from './broker-context';
import { checkBrokerOptions, DEFAULT_BROKER_OPTIONS, type BrokerOptions } from './broker-options';
import { createBackendGuard } from './http/backend-guard';
import { registerJsonBody } from './http/json-body';
import { buildOpenApi, type OpenApiDocument } from './http/openapi';
import { registerRoutes } from './http/pipeline';
import { requestIdOf } from './http/request-id';
import type { Route } from './http/route';
import { clientErrorHandler, MAX_PARAM_LENGTH, routerError } from './http/router-errors';
import { sendError } from './http/send-error';
import { channelRoutes } from './routes/channels';
import { contextRoutes } from './routes/contexts';
import { deadLetterRoutes } from './routes/dead-letters';
import { docsRoutes } from './routes/docs';
import { findingRoutes } from './routes/findings';
import { healthRoutes } from './routes/health';
import { registryRoutes } from './routes/registries';
import { taskRoutes } from './routes/tasks';
import { topicRoutes } from './routes/topics';
import { createTopicTracker } from './topic-tracker';

export interface Broker {
  /** The Fastify app: `app.inject()` in tests, or add routes before listening. */
  readonly app: FastifyInstance;
  /** The bus as the routes use it (publishes through the circuit breaker). */
  readonly transport: BreakerTransport;
  readonly swarm: Swarm;
  readonly reliability: Reliability;
  readonly metrics: Metrics;
  /** The bearer tokens (revoke, reload); undefined without auth. */
  readonly tokens: TokenStore | undefined;
  /** The OpenAPI 3.1 document served at /docs/openapi.json. */
  openapi(): OpenApiDocument;
  /** Listens (port 0: any free port) and returns the base URL, e.g. `http://127.0.0.1:8080`. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops listening, waits for requests in flight, and closes what the broker created. */
  close(): Promise<void>;
}

const VERSION = '0.1.0';

function isReliability(value: BrokerOptions['reliability']): value is Reliability {
  return value !== undefined && 'deadLetters' in value;
}

function resolveAuth(option: BrokerOptions['auth']): ResolvedAuthConfig | false {
  if (option === false) return false;
  return option === undefined ? authConfigFromEnv() : parseAuthConfig(option, 'auth option');
}

/**
 * The broker: the bus over HTTP. Messages (publish, Pub/Sub, stats, dead letters, trim), swarm
 * coordination (tasks, findings, escalation, context, sessions, registry, remediation), health
 * and /metrics, OpenAPI at /docs; bearer tokens bound to an agent and its swarms and topics.
 *
 * ```ts
 * const broker = createBroker({ auth: false }); // memory backend when REDIS_URL is unset
 * const url = await broker.listen(8080);
 * ```
 */
export function createBroker(options: BrokerOptions = {}): Broker {
  checkBrokerOptions(options);
  const auth = resolveAuth(options.auth);
  const metrics = options.metrics ?? createMetrics();
  const ownsTransport = !options.transport;
  const base: Transport = options.transport ?? createTransport({ hooks: metrics.transportHooks() });
  const transport = withCircuitBreaker(withTracing(base), options.breaker === undefined ? {} : { breaker: options.breaker });
  const ownsReliability = !isReliability(options.reliability);
  const reliability = isReliability(options.reliability)
    ? options.reliability
    : createReliability(transport, { ...(options.reliability as ReliabilityOptions | undefined), hooks: combineHooks(metrics.reliabilityHooks(), tracingReliabilityHooks()) });
  // The swarm and the rate limiter keep memory-backend state per transport object: the raw
  // transport, so swarms and limits created on it elsewhere in the process share it.
  const swarm = createSwarm(base, options.swarm);
  const rateLimit = options.rateLimit === undefined ? DEFAULT_BROKER_OPTIONS.rateLimit : options.rateLimit;
  const limiter = rateLimit === false ? undefined : createRateLimiter(base, rateLimit);
  const tokens = auth ? createTokenStore(auth.tokens) : undefined;
  const requireSignatures = new Set(auth ? Object.entries(auth.swarms).filter(([, s]) => s.requireSignatures).map(([id]) => id) : []);
  const topics = createTopicTracker(options.topics ?? [], options.maxTrackedTopics ?? DEFAULT_BROKER_OPTIONS.maxTrackedTopics);
  const ctx: BrokerContext = {
    transport,
    swarm,
    reliability,
    limiter,
    metrics,
    access: createAccess(swarm, auth ? auth.defaultSwarm : 'default'),
    signatures: createSignatureCheck(swarm, { requireSignatures, keyCacheMs: options.keyCacheMs ?? DEFAULT_BROKER_OPTIONS.keyCacheMs }),
    topics,
    authEnabled: auth !== false,
    startedAt: Date.now(),
  };
  const unwatchTopics = metrics.watchTopics({ topics: () => topics.list(), stats: transport, deadLetters: reliability.deadLetters });
  const unwatchBreaker = metrics.watchBreaker(transport.breaker);

  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BROKER_OPTIONS.bodyLimitBytes;
  const errorOptions = { bodyLimitBytes: bodyLimit };
  const log = options.log;
  const app = Fastify({
    logger:
      log === false
        ? false
        : {
            level: log?.level ?? process.env.LOG_LEVEL ?? DEFAULT_BROKER_OPTIONS.logLevel,
            mixin: () => traceLogFields(),
            ...(log?.stream ? { stream: log.stream } : {}),
          },
    bodyLimit,
    genReqId: requestIdOf,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Errors the router raises before any hook runs still answer in the error contract.
    frameworkErrors: (error, request, reply) => void sendError(routerError(error), request, reply, errorOptions),
    clientErrorHandler,
  });

  if (!auth) {
    app.log.warn(
      { auth: 'off' },
      'AUTH IS OFF: every request may publish, read and change everything as any agent. Dev mode only; set BROKER_TOKENS_FILE for a real broker',
    );
  }

  const routes: Route[] = [
    ...topicRoutes(ctx),
    ...channelRoutes(ctx),
    ...deadLetterRoutes(ctx),
    ...taskRoutes(ctx),
    ...findingRoutes(ctx),
    ...contextRoutes(ctx),
    ...registryRoutes(ctx),
    ...healthRoutes(ctx),
  ];
  let document: OpenApiDocument | undefined;
  const openapi = () =>
    (document ??= buildOpenApi(routes, {
      title: 'agentbus broker',
      version: VERSION,
      description: 'The agentbus message bus over HTTP: messages, dead letters, swarm coordination, health.',
    }));
  routes.push(...docsRoutes(openapi));

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    const tp = request.headers.traceparent;
    const sc = typeof tp === 'string' ? parseTraceparent(tp) : undefined;
    if (sc) request.log = request.log.child({ trace_id: sc.traceId, span_id: sc.spanId });
  });
  registerJsonBody(app, { maxDepth: options.maxJsonDepth ?? DEFAULT_BROKER_OPTIONS.maxJsonDepth });
  registerRoutes(app, routes, { ctx, tokens, guard: createBackendGuard(transport, options.backendTimeoutMs ?? DEFAULT_BROKER_OPTIONS.backendTimeoutMs) });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: 'NOT_FOUND', reason: `no route ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}; see /docs`, requestId: request.id });
  });
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply, errorOptions));

  let closed = false;
  return {
    app,
    transport,
    swarm,
    reliability,
    metrics,
    tokens,
    openapi,
    async listen(port = 0, host = '127.0.0.1') {
      await app.listen({ port, host });
      const address = app.server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      const shown = host.includes(':') ? `[${host}]` : host;
      return `http://${shown}:${bound}`;
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      unwatchTopics();
      unwatchBreaker();
      if (ownsReliability) await reliability.close();
      if (ownsTransport) await transport.close();
      if (!options.metrics) metrics.close();
    },
  };
}
