import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { bearer, closeAll, expectErrorContract, makeDeadLetters, startBroker, token, type RawResponse } from './helpers';
import { bodyBytes, contentType, operationsOf, queryString, segment, tokenChoice, type FuzzPools, type Operation, type TokenChoice } from './fuzz-arbitraries';

afterAll(closeAll);

/** The time the property may run; the runs stop at whichever comes first, this or NUM_RUNS. */
const TIME_BUDGET_MS = 20_000;
const NUM_RUNS = 20_000;

const member = token('fz-member', ['s'], { topics: ['fz.*'], channels: ['fz.*'] });
const admin = token('fz-admin', ['s'], { admin: true });
const foreign = token('fz-foreign', ['other'], { topics: ['other.*'] });
const revoked = token('fz-revoked', ['s'], { revoked: true });

function authorization(choice: TokenChoice): Record<string, string> {
  switch (choice) {
    case 'none':
      return {};
    case 'member':
      return bearer(member);
    case 'admin':
      return bearer(admin);
    case 'foreign':
      return bearer(foreign);
    case 'revoked':
      return bearer(revoked);
    case 'garbage':
      return bearer('not-a-token');
    case 'basic':
      return { authorization: 'Basic dXNlcjpwYXNz' };
    case 'huge':
      return bearer('x'.repeat(20_000));
    case 'empty':
      return { authorization: '' };
  }
}

/** Existing ids for a path parameter, by what the route's path says it names. */
function poolFor(op: Operation, param: string, p: FuzzPools): readonly string[] {
  if (param === 'id') {
    if (op.path.startsWith('/v1/swarm/tasks')) return p.tasks;
    if (op.path.startsWith('/v1/swarm/findings')) return p.findings;
    if (op.path.includes('/dlq/')) return p.streamIds;
    return p.agents;
  }
  const pools: Record<string, readonly string[]> = {
    topic: ['fz.orders', 'fz.jobs', 'other.x', 'secret'],
    channel: ['fz.chat', 'other.chat'],
    swarm: ['s', 'other'],
    scope: ['s', 'other'],
    project: ['s', 'other'],
    name: ['run', 'ctx'],
    date: ['2026-01-01'],
    label: ['l'],
  };
  return pools[param] ?? ['x'];
}

interface FuzzRequest {
  op: Operation;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload: string | Buffer | undefined;
}

function fuzzRequest(ops: readonly Operation[], pools: FuzzPools): fc.Arbitrary<FuzzRequest> {
  return fc.constantFrom(...ops).chain((op) =>
    fc
      .record({
        segments: fc.tuple(...op.params.map((name) => segment(poolFor(op, name, pools))), fc.constant('')),
        query: queryString(op),
        auth: tokenChoice,
        body: op.body ? fc.option(bodyBytes(op, pools), { freq: 8, nil: undefined }) : fc.option(bodyBytes(op, pools), { freq: 1, nil: undefined }),
        type: contentType,
        method: fc.oneof({ weight: 9, arbitrary: fc.constant(op.method) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS') }),
        requestId: fc.option(fc.constantFrom('req-1', 'has spaces', 'x'.repeat(300), '../etc'), { nil: undefined }),
        traceparent: fc.option(fc.constantFrom('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'garbage', '00-00000000000000000000000000000000-0000000000000000-00'), { nil: undefined }),
      })
      .map(({ segments, query, auth, body, type, method, requestId, traceparent }) => {
        let i = 0;
        const path = op.path.replace(/\{[^}]+\}/g, () => segments[i++]!);
        const headers: Record<string, string> = { ...authorization(auth) };
        if (body !== undefined && type !== undefined) headers['content-type'] = type;
        if (requestId !== undefined) headers['x-request-id'] = requestId;
        if (traceparent !== undefined) headers.traceparent = traceparent;
        const url = `${path}${query}`;
        // What a failure report prints: huge bodies and URLs cut short.
        const shown = () => `${method} ${url.slice(0, 300)} ${JSON.stringify(headers).slice(0, 300)} body ${String(body ?? '').slice(0, 300)}`;
        return { op, method, url, headers, payload: body, [fc.toStringMethod]: shown };
      }),
  );
}

describe('fuzz: every route of the OpenAPI document with hostile tokens, paths, queries and bodies', () => {
  it(
    'never answers 5xx, answers every 4xx in the error contract, and stays healthy',
    async () => {
      const { broker, transport } = startBroker({
        auth: { tokens: [member, admin, foreign, revoked].map((t) => t.config) },
        rateLimit: { capacity: 5_000, refillPerSecond: 5_000 },
        topics: ['fz.orders'],
      });
      const inject = async (o: { method: string; url: string; headers?: Record<string, string>; payload?: string | Buffer | object }): Promise<RawResponse> =>
        broker.app.inject(o as InjectOptions);
      const doc = JSON.parse((await inject({ method: 'GET', url: '/docs/openapi.json' })).body) as Parameters<typeof operationsOf>[0];
      const ops = operationsOf(doc);
      expect(ops.length).toBeGreaterThan(30);

      // Records that exist, so requests get past 404 into the handlers.
      const post = async (url: string, payload: object, t = admin) => JSON.parse((await inject({ method: 'POST', url, headers: bearer(t), payload })).body) as { id: string };
      const tasks = [(await post('/v1/swarm/tasks', { id: 'fz-task', description: 'd', type: 't' })).id];
      // Claimed by the member token, so its complete, fail, release and escalate reach the scripts.
      for (let i = 0; i < 20; i++) {
        const id = (await post('/v1/swarm/tasks', { description: `d${i}`, type: 't' }, member)).id;
        await inject({ method: 'POST', url: `/v1/swarm/tasks/${id}/claim`, headers: bearer(member), payload: {} });
        tasks.push(id);
      }
      const findings = [(await post('/v1/swarm/findings', { task_id: 'fz-task', claim: 'c', confidence: 0.5 })).id];
      await post('/v1/swarm/registries/s/agents', { role: 'w' }, member);
      await makeDeadLetters(transport, 'fz.jobs', 2);
      const dlq = JSON.parse((await inject({ method: 'GET', url: '/v1/topics/fz.jobs/dlq', headers: bearer(admin) })).body) as { items: Array<{ id: string }> };
      const pools: FuzzPools = { tasks, findings, agents: ['fz-member', 'fz-admin', 'someone'], streamIds: dlq.items.map((d) => d.id) };

      const statuses = new Map<number, number>();
      const hit = new Set<string>();
      let runs = 0;
      const started = Date.now();
      await fc.assert(
        fc.asyncProperty(fuzzRequest(ops, pools), async (req) => {
          runs++;
          const r = await inject({ method: req.method, url: req.url, headers: req.headers, ...(req.payload === undefined ? {} : { payload: req.payload }) });
          statuses.set(r.statusCode, (statuses.get(r.statusCode) ?? 0) + 1);
          hit.add(`${req.op.method} ${req.op.path}`);
          const what = `${req.method} ${req.url.slice(0, 200)}`;
          expect(r.statusCode, `${what}: ${r.body.slice(0, 300)}`).toBeLessThan(500);
          if (r.statusCode >= 400) expectErrorContract(r, what);
          // A body that is not JSON is never read as one (README: 415).
          const type = req.headers['content-type'];
          if (req.payload !== undefined && type !== undefined && req.method !== 'GET' && !/^application\/json\s*(;|$)/i.test(type)) {
            expect(r.statusCode, what).not.toBeLessThan(300);
            expect(JSON.parse(r.body).path ?? '', what).not.toMatch(/^body/);
          }
        }),
        { numRuns: NUM_RUNS, plugins: [fc.interruptAfterTimeLimit(TIME_BUDGET_MS)] },
      );
      console.log(`fuzz: ${runs} requests in ${Date.now() - started} ms over ${hit.size}/${ops.length} operations; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`);
      expect(hit.size).toBe(ops.length);
      expect((await inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
      expect((await inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
      expect((await inject({ method: 'POST', url: '/v1/topics/fz.orders/messages', headers: bearer(member), payload: { type: 'x', payload: 'still works' } })).statusCode).toBe(201);
    },
    TIME_BUDGET_MS + 30_000,
  );
});
