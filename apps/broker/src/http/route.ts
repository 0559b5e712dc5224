import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Principal } from '../auth/principal';
import { invalidRequest } from './http-error';

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

export interface RouteSpec<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined> {
  method: HttpMethod;
  /** Fastify syntax (`/v1/topics/:topic`). */
  url: string;
  summary: string;
  description?: string;
  tags: readonly string[];
  /** `token` (default): a bearer token is needed (unless auth is off). `public`: none. */
  auth?: 'token' | 'public';
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

/** A route with its schemas erased to what registration and the OpenAPI document need. */
export interface Route {
  readonly method: HttpMethod;
  readonly url: string;
  readonly summary: string;
  readonly description: string | undefined;
  readonly tags: readonly string[];
  readonly auth: 'token' | 'public';
  readonly status: number;
  readonly params: z.ZodType | undefined;
  readonly query: z.ZodType | undefined;
  readonly body: z.ZodType | undefined;
  readonly response: z.ZodType | undefined;
  readonly produces: string | undefined;
  readonly errors: readonly number[];
  /** Validates params, query and body (a 400 naming the failing path), then runs the handler. */
  handle(request: FastifyRequest, reply: FastifyReply, principal: Principal): Promise<unknown>;
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
  return {
    method: spec.method,
    url: spec.url,
    summary: spec.summary,
    description: spec.description,
    tags: spec.tags,
    auth: spec.auth ?? 'token',
    status,
    params: spec.params,
    query: spec.query,
    body: spec.body,
    response: spec.response,
    produces: spec.produces,
    errors: spec.errors ?? [],
    async handle(request, reply, principal) {
      const params = parsePart(spec.params as P, request.params, 'params');
      const query = parsePart(spec.query as Q, request.query, 'query');
      const body = parsePart(spec.body as B, request.body, 'body');
      reply.code(status);
      return spec.handler({ params, query, body, principal, request, reply });
    },
  };
}
