import fc from 'fast-check';

/** One operation of the OpenAPI document: what the fuzzer needs to aim a request at it. */
export interface Operation {
  method: string;
  /** OpenAPI template: `/v1/topics/{topic}/messages`. */
  path: string;
  params: string[];
  query: string[];
  body: boolean;
}

interface OpenApiLike {
  paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }>; requestBody?: unknown }>>;
}

export function operationsOf(doc: OpenApiLike): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      params: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
      query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
      body: op.requestBody !== undefined,
    })),
  );
}

/** JSON text spliced into a body as it is: nesting JSON.stringify itself could not produce. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON text of a shallow template whose leaves may be RawJson. */
export function toJsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const deepArrays = (d: number) => new RawJson(`${'['.repeat(d)}${']'.repeat(d)}`);
const deepObjects = (d: number) => new RawJson(`${'{"a":'.repeat(d)}1${'}'.repeat(d)}`);

/** Values no field expects: too deep, too big, not well-formed UTF-16, the wrong type, poisoned. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(64, 65, 1_000, 20_000).map(deepArrays),
  fc.constantFrom(63, 200, 10_000).map(deepObjects),
  fc.constantFrom('a\ud800b', '\udc00', 'x\ud83d', '\ud83d\ude00', '\u0000', '\u202eevil', ''),
  fc.constantFrom(10_000, 300_000).map((n) => 'x'.repeat(n)),
  fc.constant(new RawJson(`[${'0,'.repeat(50_000)}0]`)),
  fc.constant(new RawJson('{"__proto__":{"polluted":true}}')),
  fc.constant(new RawJson('{"constructor":{"prototype":{"polluted":true}}}')),
  fc.constant(new RawJson('1e400')),
  fc.constantFrom(null, true, -1, 0, 1e308, Number.MAX_SAFE_INTEGER, 2 ** 64, {}, [], [null]),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.jsonValue({ maxDepth: 4 }),
);

/** A plausible value of a field, or a hostile one. */
const field = <T>(plausible: fc.Arbitrary<T>) => fc.oneof({ weight: 8, arbitrary: plausible }, { weight: 1, arbitrary: hostileValue });

const idLike = (pool: readonly string[]) => fc.oneof(fc.constantFrom(...pool), fc.string({ minLength: 1, maxLength: 20 }));

/** Bodies shaped for a route, with any field possibly hostile. */
export function bodyTemplate(op: Operation, pools: FuzzPools): fc.Arbitrary<unknown> {
  const tasks = idLike(pools.tasks);
  const agent = fc.option(idLike(pools.agents), { nil: undefined });
  const key = `${op.method} ${op.path}`;
  if (key.endsWith('/messages') || key.endsWith('/publish')) {
    return fc.record({ type: field(fc.constantFrom('x', 'job')), payload: field(fc.jsonValue({ maxDepth: 3 })), from: agent, priority: field(fc.constantFrom('high', 'normal', 'low')) }, { requiredKeys: ['type', 'payload'] });
  }
  if (key.endsWith('/dlq/replay')) return fc.oneof(fc.record({ ids: field(fc.array(fc.constantFrom('1-0', '0-1', ...pools.streamIds))) }), fc.record({ all: field(fc.constant(true)) }), fc.record({ count: field(fc.nat()) }));
  if (key.endsWith('/trim')) return fc.record({ maxLen: field(fc.nat()), maxAgeMs: field(fc.nat()), hardMaxLen: field(fc.nat()) }, { requiredKeys: [] });
  if (key === 'POST /v1/swarm/tasks') return fc.record({ id: field(idLike(['fz-new'])), description: field(fc.string()), type: field(fc.constantFrom('t', 'research')), data: field(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }))) }, { requiredKeys: ['description', 'type'] });
  if (key.endsWith('/complete')) return fc.record({ agent_id: agent, result: field(fc.string()) });
  if (key.endsWith('/fail')) return fc.record({ agent_id: agent, error: field(fc.string()) });
  if (key.endsWith('/escalate')) return fc.record({ agent_id: agent, reason: field(fc.string()), finding_ids: field(fc.array(idLike(pools.findings), { maxLength: 3 })) }, { requiredKeys: ['reason'] });
  if (key.endsWith('/claim-next')) return fc.record({ agent_id: agent, type: field(fc.constant('t')), source: field(fc.constantFrom('index', 'scan')), swarm: field(fc.constantFrom('s', 'other')) }, { requiredKeys: [] });
  if (key === 'POST /v1/swarm/findings') return fc.record({ task_id: field(tasks), claim: field(fc.string()), confidence: field(fc.double()), worker_id: agent, citations: field(fc.array(fc.webUrl(), { maxLength: 2 })) }, { requiredKeys: ['claim', 'confidence'] });
  if (key.startsWith('PATCH /v1/swarm/contexts')) return fc.record({ notes: field(fc.string()), shared_data: field(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }))) }, { requiredKeys: [] });
  if (key.startsWith('PUT /v1/swarm/sessions')) return fc.record({ date: field(fc.constant('2026-01-01')), label: field(fc.string()), summary: field(fc.string()), metrics: field(fc.dictionary(fc.string(), fc.double())) });
  if (key.endsWith('/agents')) return fc.record({ role: field(fc.constant('w')), id: agent, public_key: field(fc.string()), model: hostileValue }, { requiredKeys: ['role'] });
  if (key.endsWith('/allowlist')) return field(fc.array(fc.constantFrom('s', 'other', 'x'), { maxLength: 3 }));
  if (key.endsWith('/heartbeat')) return fc.record({ status: field(fc.constantFrom('busy', 'idle')) }, { requiredKeys: [] });
  if (key.endsWith('/remediation')) return fc.record({ apply: field(fc.boolean()) }, { requiredKeys: [] });
  return fc.record({ agent_id: agent }, { requiredKeys: [] });
}

/** Ids the fuzzer aims at: records that exist, so it gets past 404 into the handlers. */
export interface FuzzPools {
  tasks: readonly string[];
  findings: readonly string[];
  agents: readonly string[];
  streamIds: readonly string[];
}

/** Percent-encodes like encodeURIComponent, but a lone surrogate becomes bytes that are not UTF-8 instead of throwing. */
function encodeLoose(s: string): string {
  return s.replace(/[\uD800-\uDFFF]/g, '\u0000').split('\u0000').map(encodeURIComponent).join('%ED%A0%80');
}

/** A path segment as it goes on the wire: plausible, long, unicode, or hostile raw text. */
export function segment(pool: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(...pool) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).map(encodeLoose) },
    { weight: 1, arbitrary: fc.constantFrom(199, 200, 201, 512, 513, 4_608, 4_609, 20_000).map((n) => 'a'.repeat(n)) },
    { weight: 1, arbitrary: fc.constantFrom(512, 513, 1_600).map((n) => encodeURIComponent('\u20ac'.repeat(n))) },
    {
      weight: 2,
      arbitrary: fc.constantFrom('%zz', '%', '%00', '%2F', '..', '.', '%2e%2e', '%ED%A0%BD', '%C0%AF', '%FF', '*', '%7Bx%7D', '%20', 'a%0Ab', '%E2%80%AE', 'tasks.*', '1-0', '%25zz'),
    },
  );
}

export type TokenChoice = 'none' | 'member' | 'admin' | 'foreign' | 'revoked' | 'garbage' | 'basic' | 'huge' | 'empty';
/** Mostly tokens that get past authentication, so requests reach the handlers; the rest refused. */
export const tokenChoice: fc.Arbitrary<TokenChoice> = fc.oneof(
  { weight: 5, arbitrary: fc.constant('member' as const) },
  { weight: 4, arbitrary: fc.constant('admin' as const) },
  { weight: 2, arbitrary: fc.constant('foreign' as const) },
  { weight: 2, arbitrary: fc.constantFrom('none', 'revoked', 'garbage', 'basic', 'huge', 'empty') },
);

/** A body as bytes on the wire: a route-shaped one, any JSON, or text that is not JSON at all. */
export function bodyBytes(op: Operation, pools: FuzzPools): fc.Arbitrary<string | Buffer> {
  return fc.oneof(
    { weight: 6, arbitrary: bodyTemplate(op, pools).map(toJsonText) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: hostileValue.map(toJsonText) },
    { weight: 1, arbitrary: fc.string({ maxLength: 50 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
    { weight: 1, arbitrary: fc.constantFrom('', 'null', '[]', '"s"', '1', '{', '{"a":1}}', '\ufeff{}') },
    { weight: 1, arbitrary: fc.constant('x'.repeat(1_100_000)) },
  );
}

export const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      'application/vnd.api+json',
      'APPLICATION/JSON',
      'garbage',
      'application/json; charset=latin1',
    ),
  },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

/** A query string of the operation's parameters and some it does not know, with hostile values. */
export function queryString(op: Operation): fc.Arbitrary<string> {
  const names = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...op.query, 'source') }, { weight: 1, arbitrary: fc.constantFrom('unknown', '__proto__', 'constructor', '') });
  const value = fc.oneof(
    fc.constantFrom('1', '0', '-1', '1e400', 'scan', 'index', 'pending', 'true', '', 'a,b', '1-0', 'fz.orders'),
    fc.string({ unit: 'binary', maxLength: 20 }).map(encodeLoose),
    fc.constantFrom('%zz', '%ED%A0%BD', 'x'.repeat(5_000)),
  );
  const pairs = fc.array(fc.tuple(names, value), { minLength: 1, maxLength: 4 }).map((list) => `?${list.map(([k, v]) => `${k}=${v}`).join('&')}`);
  return fc.oneof({ weight: op.query.length > 0 ? 1 : 3, arbitrary: fc.constant('') }, { weight: 1, arbitrary: pairs });
}
