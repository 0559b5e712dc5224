import { createHash } from 'node:crypto';
import { z } from 'zod';
import { errorBodySchema } from '../schemas/responses';
import type { Route } from './route';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

/** An OpenAPI 3.1 document (JSON Schema 2020-12 inside, as zod 4 writes it). */
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: OpenApiInfo;
  paths: Record<string, Record<string, JsonObject>>;
  components: { schemas: Record<string, JsonObject>; securitySchemes: Record<string, JsonObject>; responses: Record<string, JsonObject> };
}

const ERROR_TEXT: Readonly<Record<number, string>> = {
  400: 'Invalid request: `path` names the failing field',
  401: 'No, unknown or revoked bearer token',
  403: 'The token may not do this (other agent, swarm, topic; not admin; bad or missing signature)',
  404: 'Not found',
  409: 'Conflict (taken, exists, wrong state)',
  413: 'Body over the size limit (bodyLimitBytes)',
  414: 'A path parameter longer than the router accepts (names and ids are at most 512 characters)',
  415: 'The body is not application/json',
  429: 'Rate limited: retry after Retry-After seconds',
  500: 'Internal error',
  503: 'Back-pressure, open circuit or backend unavailable: retry after Retry-After seconds',
};

/**
 * Converts zod schemas to JSON Schema and files their shared definitions (`$defs`, recursion
 * such as z.json()) under components.schemas, named by content so equal definitions are kept once.
 */
function createConverter(components: Record<string, JsonObject>) {
  function rewrite(node: Json, refs: Map<string, string>): Json {
    if (Array.isArray(node)) return node.map((n) => rewrite(n, refs));
    if (node === null || typeof node !== 'object') return node;
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === '$schema' || k === '$defs') continue;
      if (k === '$ref' && typeof v === 'string' && refs.has(v)) out[k] = refs.get(v)!;
      else out[k] = rewrite(v, refs);
    }
    return out;
  }
  const nameOf = (value: Json) => `Def${createHash('sha1').update(JSON.stringify(value)).digest('hex').slice(0, 10)}`;

  return (schema: z.ZodType, io: 'input' | 'output'): JsonObject => {
    const raw = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonObject;
    const refs = new Map<string, string>();
    const defs = (raw.$defs ?? {}) as JsonObject;
    for (const [name, def] of Object.entries(defs)) refs.set(`#/$defs/${name}`, `#/components/schemas/${nameOf(def)}`);
    // A schema that refers to itself (`$ref: "#"`) becomes a component of its own.
    const selfRef = JSON.stringify(raw).includes('"$ref":"#"');
    if (selfRef) refs.set('#', `#/components/schemas/${nameOf(raw)}`);
    for (const [name, def] of Object.entries(defs)) components[refs.get(`#/$defs/${name}`)!.split('/').pop()!] = rewrite(def, refs) as JsonObject;
    const body = rewrite(raw, refs) as JsonObject;
    if (!selfRef) return body;
    const name = refs.get('#')!.split('/').pop()!;
    components[name] = body;
    return { $ref: refs.get('#')! };
  };
}

function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query', convert: ReturnType<typeof createConverter>): JsonObject[] {
  if (!schema) return [];
  const object = convert(schema, 'input');
  const properties = (object.properties ?? {}) as JsonObject;
  const required = new Set((object.required ?? []) as string[]);
  return Object.entries(properties).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: s,
  }));
}

/** The OpenAPI 3.1 document of the routes, generated from their zod schemas. */
export function buildOpenApi(routes: readonly Route[], info: OpenApiInfo): OpenApiDocument {
  const schemas: Record<string, JsonObject> = {};
  const convert = createConverter(schemas);
  schemas.Error = convert(errorBodySchema, 'output');
  const responses: Record<string, JsonObject> = {};
  for (const [status, description] of Object.entries(ERROR_TEXT)) {
    responses[`E${status}`] = { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  }
  const paths: OpenApiDocument['paths'] = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
    const errors = new Set<number>([
      ...(r.params || r.query || r.body ? [400] : []),
      ...(r.params ? [414] : []),
      ...(r.body ? [413, 415] : []),
      ...(r.auth === 'public' ? [] : r.auth === 'token' ? [401, 403] : [401]),
      ...(r.rateLimit ? [429] : []),
      ...(r.backend === 'none' ? [] : [503]),
      ...r.errors,
      500,
    ]);
    const success: JsonObject = { description: r.summary };
    if (r.response) success.content = { 'application/json': { schema: convert(r.response, 'output') } };
    else if (r.produces) success.content = { [r.produces]: { schema: { type: 'string' } } };
    const op: JsonObject = {
      operationId: `${r.method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      summary: r.summary,
      tags: [...r.tags],
      // OpenAPI's way to say "a token is optional": the empty requirement, or the bearer one.
      security: r.auth === 'token' ? [{ bearer: [] }] : r.auth === 'optional' ? [{}, { bearer: [] }] : [],
      parameters: [...parametersOf(r.params, 'path', convert), ...parametersOf(r.query, 'query', convert)],
      responses: {
        [String(r.status)]: success,
        ...Object.fromEntries([...errors].sort().map((s) => [String(s), { $ref: `#/components/responses/E${s}` }])),
      },
    };
    if (r.description) op.description = r.description;
    if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: convert(r.body, 'input') } } };
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A broker token (see the broker README: auth)' } },
      responses,
    },
  };
}
