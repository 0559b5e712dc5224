import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Principal } from '../auth/principal';
import { invalidRequest } from './http-error';
import { assertWellFormed } from './well-formed';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a route handler receives: its request parts, already validated. */
export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** Who the request acts as (a no-permission anonymous principal on public routes). */
  principal: Principal;
  request: FastifyRequest;
  reply: FastifyReply;
}

/**
 * Who may call a route: `token` needs a bearer token (unless auth is off); `public` needs none;
 * `optional` takes one when sent (what it shows depends on it) and refuses a bad one.
 */
export type RouteAuth = 'token' | 'public' | 'optional';

/**
 * How a route depends on the backend. `refuse`: it cannot work without Redis, so it answers 503
 * at once when Redis is not connected. `serve`: it reports on the backend itself (comprehensive
 * health), so it runs anyway. `none`: it never waits on Redis (liveness, docs, its own timeouts).
 */
export type BackendUse = 'refuse' | 'serve' | 'none';

/** The token bucket a request takes from: publishes, or every other authenticated request. */
export type RateLimitBucket = 'publish' | 'request';

export interface RouteSpec<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined> {
  method: HttpMethod;
  /** Fastify syntax (`/v1/topics/:topic`). */
  url: string;
  summary: string;
  description?: string;
  tags: readonly string[];
  /** Default `token`. */
  auth?: RouteAuth;
  /** Default `refuse` for `token` routes, `none` for the others. */
  backend?: BackendUse;
  /** Default `request` for `token` routes; none for the others. */
  rateLimit?: RateLimitBucket;
  params?: P;
  query?: Q;
  body?: B;
  /** Success status. Default 200. */
  status?: number;
  /** Schema of the success body, for the OpenAPI document. */
  response?: z.ZodType;
  /** Content type of a non-JSON success body (`/metrics`, `/docs`). */
  produces?: string;
  /** Error statuses worth documenting beyond 400, 401, 403 and 500. */
  errors?: readonly number[];
  handler(input: RouteInput<Parsed<P>, Parsed<Q>, Parsed<B>>): Promise<unknown> | unknown;
}

/** The request parts of a route, validated by its schemas. */
export interface ParsedParts {
  readonly params: unknown;
  readonly query: unknown;
  readonly body: unknown;
}

/** A route with its schemas erased to what registration and the OpenAPI document need. */
export interface Route {
  readonly method: HttpMethod;
  readonly url: string;
  readonly summary: string;
  readonly description: string | undefined;
  readonly tags: readonly string[];
  readonly auth: RouteAuth;
  readonly backend: BackendUse;
  readonly rateLimit: RateLimitBucket | undefined;
  readonly status: number;
  readonly params: z.ZodType | undefined;
  readonly query: z.ZodType | undefined;
  readonly body: z.ZodType | undefined;
  readonly response: z.ZodType | undefined;
  readonly produces: string | undefined;
  readonly errors: readonly number[];
  /** Validates params, query and body: a 400 naming the failing path. */
  parse(request: FastifyRequest): ParsedParts;
  /** Runs the handler on parts `parse` returned. */
  run(parts: ParsedParts, request: FastifyRequest, reply: FastifyReply, principal: Principal): Promise<unknown>;
}

function parsePart<S extends z.ZodType | undefined>(schema: S, value: unknown, where: string): Parsed<S> {
  if (schema === undefined) return undefined as Parsed<S>;
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw invalidRequest(where, r.error);
  return r.data as Parsed<S>;
}

/** One route: its schemas validate the request and document it; see RouteSpec. */
export function defineRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(spec: RouteSpec<P, Q, B>): Route {
  const status = spec.status ?? 200;
  const auth = spec.auth ?? 'token';
  return {
    method: spec.method,
    url: spec.url,
    summary: spec.summary,
    description: spec.description,
    tags: spec.tags,
    auth,
    backend: spec.backend ?? (auth === 'token' ? 'refuse' : 'none'),
    rateLimit: spec.rateLimit ?? (auth === 'token' ? 'request' : undefined),
    status,
    params: spec.params,
    query: spec.query,
    body: spec.body,
    response: spec.response,
    produces: spec.produces,
    errors: spec.errors ?? [],
    parse(request) {
      // The body was checked by the JSON parser; params and query come from the URL decoder.
      assertWellFormed(request.params, 'params');
      assertWellFormed(request.query, 'query');
      return {
        params: parsePart(spec.params as P, request.params, 'params'),
        query: parsePart(spec.query as Q, request.query, 'query'),
        body: parsePart(spec.body as B, request.body, 'body'),
      };
    },
    async run(parts, request, reply, principal) {
      reply.code(status);
      return spec.handler({
        params: parts.params as Parsed<P>,
        query: parts.query as Parsed<Q>,
        body: parts.body as Parsed<B>,
        principal,
        request,
        reply,
      });
    },
  };
}
