import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ANONYMOUS_PRINCIPAL, DEV_PRINCIPAL, type Principal } from '../auth/principal';
import type { TokenStore } from '../auth/tokens';
import type { BrokerContext } from '../broker-context';
import type { BackendGuard } from './backend-guard';
import { enforceRateLimit } from './rate-limit';
import type { ParsedParts, Route } from './route';

export interface PipelineDeps {
  ctx: BrokerContext;
  /** undefined: no auth (dev mode). */
  tokens: TokenStore | undefined;
  guard: BackendGuard;
}

function principalOf(route: Route, request: FastifyRequest, tokens: TokenStore | undefined): Principal | undefined {
  if (route.auth === 'public') return undefined;
  if (!tokens) return DEV_PRINCIPAL;
  if (route.auth === 'optional' && request.headers.authorization === undefined) return ANONYMOUS_PRINCIPAL;
  return tokens.authenticate(request.headers.authorization);
}

/**
 * After authentication and validation, the steps that may wait on Redis: the backend check (503
 * at once when Redis is not connected), the rate limit, then the handler, all under the watchdog.
 * A route that reports on the backend itself runs without Redis too, unlimited then, since the
 * buckets live in Redis.
 */
async function serve(route: Route, parts: ParsedParts, principal: Principal, request: FastifyRequest, reply: FastifyReply, deps: PipelineDeps): Promise<unknown> {
  if (route.backend === 'none') return route.run(parts, request, reply, principal);
  let limited = route.rateLimit !== undefined;
  if (route.backend === 'refuse') await deps.guard.ready();
  else limited &&= deps.guard.connected();
  return deps.guard.watch(async (signal) => {
    if (limited) await enforceRateLimit(deps.ctx, principal, route.rateLimit!, reply);
    signal.throwIfAborted();
    return route.run(parts, request, reply, principal);
  });
}

/**
 * Registers the routes with the request pipeline every one of them goes through, in this order:
 * authentication (before the body is read: an unauthenticated request never gets its body
 * parsed), body parsing (depth, UTF-16), schema validation, the backend check, the rate limit,
 * then the handler, which authorizes before it writes.
 */
export function registerRoutes(app: FastifyInstance, routes: readonly Route[], deps: PipelineDeps): void {
  const principals = new WeakMap<FastifyRequest, Principal>();
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      onRequest: async (request) => {
        const principal = principalOf(route, request, deps.tokens);
        if (!principal) return;
        principals.set(request, principal);
        if (deps.tokens && principal.agent !== undefined) request.log = request.log.child({ agent: principal.agent, token: principal.label });
      },
      handler: (request, reply) => serve(route, route.parse(request), principals.get(request) ?? ANONYMOUS_PRINCIPAL, request, reply, deps),
    });
  }
}
