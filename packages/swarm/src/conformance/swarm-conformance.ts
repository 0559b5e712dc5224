import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ERROR_CODES,
  TASK_TTL_SECONDS,
  generateSigningKeyPair,
  isAgentbusError,
  type AgentbusError,
  type AgentbusErrorCode,
  type Envelope,
  type KeyBuilder,
  type ValidationError,
} from '@agentbus/schema';
import type { Transport } from '@agentbus/transport';
import { SwarmDataError } from '../errors';
import type { EscalationPayload, EscalationResult } from '../escalation';
import type { Swarm, SwarmOptions } from '../swarm';

/** Raw access to the backend's keys, bypassing the swarm: how tests plant what other programs write. */
export interface RawKeys {
  type(key: string): Promise<string>;
  /** -1 without TTL, -2 when missing. */
  ttl(key: string): Promise<number>;
  exists(key: string): Promise<boolean>;
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  hgetall(key: string): Promise<Record<string, string>>;
  hset(key: string, fields: Record<string, string>): Promise<void>;
  rpush(key: string, values: string[]): Promise<void>;
  expire(key: string, seconds: number): Promise<void>;
  zrange(key: string): Promise<string[]>;
  /** Keys matching a glob pattern. */
  keys(pattern: string): Promise<string[]>;
}

/** One test's world: a fresh namespace (or store) nobody else uses. */
export interface SwarmTestEnv {
  transport: Transport;
  swarm: Swarm;
  keys: KeyBuilder;
  raw: RawKeys;
  /**
   * Another swarm on the same data, like another process: on a new transport (its own Redis
   * connection) unless `transport` is given.
   */
  peer(options?: SwarmOptions & { transport?: Transport }): Promise<Swarm>;
  /**
   * A swarm on the same data whose escalations cannot reach the escalations stream (Redis: a
   * string planted at the stream key of priority `high`; memory: a transport whose publish rejects).
   */
  failingEscalations(): Promise<Swarm>;
  cleanup(): Promise<void>;
}

const DAY = 24 * 60 * 60;

async function rejection(promise: Promise<unknown>): Promise<AgentbusError> {
  try {
    await promise;
  } catch (error) {
    if (isAgentbusError(error)) return error as AgentbusError;
    throw error;
  }
  throw new Error('expected the call to fail, but it resolved');
}

async function expectCode(promise: Promise<unknown>, code: AgentbusErrorCode, message?: RegExp): Promise<AgentbusError> {
  const error = await rejection(promise);
  expect(error.code, error.message).toBe(code);
  if (message) expect(error.message).toMatch(message);
  return error;
}

async function expectInvalid(promise: Promise<unknown>, path: string): Promise<ValidationError> {
  const error = (await expectCode(promise, ERROR_CODES.INVALID_MESSAGE)) as ValidationError;
  expect(error.issues.map((i) => i.path)).toContain(path);
  return error;
}

/**
 * The swarm contract: every backend runs the same tests. `createEnv` gives each test a fresh
 * namespace (Redis) or store (memory).
 */
export function describeSwarmConformance(name: string, createEnv: (options?: SwarmOptions) => Promise<SwarmTestEnv>): void {
  describe(`swarm conformance: ${name}`, () => {
    let env: SwarmTestEnv;
    let swarm: Swarm;
    let keys: KeyBuilder;
    let raw: RawKeys;
    const extra: SwarmTestEnv[] = [];

    beforeEach(async () => {
      env = await createEnv();
      ({ swarm, keys, raw } = env);
    });
    afterEach(async () => {
      await Promise.all([env.cleanup(), ...extra.splice(0).map((e) => e.cleanup())]);
    });

    /** Every key of the test's namespace, for "nothing changed" checks. */
    async function snapshot(): Promise<Record<string, string>> {
      const out: Record<string, string> = {};
      for (const key of (await raw.keys(keys.all())).sort()) {
        const type = await raw.type(key);
        out[key] = type === 'hash' ? JSON.stringify(await raw.hgetall(key)) : type === 'string' ? ((await raw.get(key)) ?? '') : type;
      }
      return out;
    }

    async function pythonTask(id: string, fields: Record<string, string> = {}): Promise<string> {
      const key = keys.task(id);
      await raw.hset(key, {
        id,
        description: 'Research feature X',
        data: '{"query": "redis streams"}',
        type: 'research',
        status: 'PENDING',
        assignee: '',
        created_at: '2025-11-30T09:15:02.123456',
        updated_at: '1764494102.5',
        ttl_seconds: '86400',
        ...fields,
      });
      await raw.expire(key, DAY);
      return key;
    }

    describe('tasks', () => {
      it('creates a pending, unassigned task as a task:{id} hash with its TTL, indexed under pending', async () => {
        const t = await swarm.createTask({ id: 't-1', description: 'summarise', type: 'research', data: { depth: 2 } });
        expect(t).toMatchObject({ id: 't-1', status: 'pending', description: 'summarise', type: 'research', data: { depth: 2 } });
        expect(t.assignee).toBeUndefined();
        expect(t.created_at).toBe(t.updated_at);
        const key = keys.task('t-1');
        expect(await raw.type(key)).toBe('hash');
        expect(await raw.hgetall(key)).toMatchObject({ id: 't-1', status: 'pending', assignee: '', data: '{"depth":2}' });
        expect(await raw.ttl(key)).toBeGreaterThan(TASK_TTL_SECONDS - 5);
        expect(await raw.zrange(keys.key('swarm', 'tasks', 'status', 'pending'))).toEqual(['t-1']);
        expect(await swarm.getTask('t-1')).toEqual(t);
        const generated = await swarm.createTask({ description: 'x', type: 'research' });
        expect(generated.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(swarm.backend).toBe(name === 'memory' ? 'memory' : 'redis');
      });

      it('refuses a duplicate id with CONFLICT and keeps the first task', async () => {
        await swarm.createTask({ id: 'dup', description: 'first', type: 'a' });
        await expectCode(swarm.createTask({ id: 'dup', description: 'second', type: 'b' }), ERROR_CODES.CONFLICT, /dup exists already/);
        expect((await swarm.getTask('dup')).description).toBe('first');
      });

      it('refuses bad task input naming the field, and writes nothing', async () => {
        const before = await snapshot();
        await expectInvalid(swarm.createTask({ description: 'x' } as never), 'type');
        await expectInvalid(swarm.createTask({ id: 'has space', description: 'x', type: 'a' }), 'id');
        await expectInvalid(swarm.createTask({ description: 'x', type: 'a', colour: 'red' } as never), '');
        await expectInvalid(swarm.createTask({ description: 'x', type: 'a', data: [1] as never }), 'data');
        expect(await snapshot()).toEqual(before);
      });

      it('getTask: NOT_FOUND for a missing task, INVALID_ARGUMENT for an id that cannot be a key', async () => {
        await expectCode(swarm.getTask('nope'), ERROR_CODES.NOT_FOUND, /task nope not found/);
        await expectCode(swarm.getTask('a b'), ERROR_CODES.INVALID_ARGUMENT, /task id/);
      });

      it('reads a task a Python agent wrote (upper-case status, naive and epoch timestamps)', async () => {
        await pythonTask('py-1');
        expect(await swarm.getTask('py-1')).toMatchObject({
          id: 'py-1',
          status: 'pending',
          data: { query: 'redis streams' },
          created_at: '2025-11-30T09:15:02.123Z',
          updated_at: '2025-11-30T09:15:02.500Z',
          ttl_seconds: '86400',
        });
      });

      it('turns bad stored data into a SwarmDataError naming the key and field', async () => {
        const key = await pythonTask('bad-status', { status: 'started' });
        const error = await expectCode(swarm.getTask('bad-status'), ERROR_CODES.INVALID_MESSAGE);
        expect(error).toBeInstanceOf(SwarmDataError);
        expect(error).toMatchObject({ key, field: 'status' });
        expect(error.message).toContain(key);
        expect(error.message).toMatch(/field status/);

        await raw.set(keys.task('as-string'), 'hello');
        const wrong = await expectCode(swarm.getTask('as-string'), ERROR_CODES.WRONG_TYPE, /is a string, but a task is stored as a hash/);
        expect(wrong).toMatchObject({ key: keys.task('as-string'), field: undefined });
        // A bad task is never changed.
        await expectCode(swarm.claimTask('bad-status', 'w1'), ERROR_CODES.INVALID_MESSAGE);
        expect((await raw.hgetall(key)).status).toBe('started');
      });

      it('claims atomically: in_progress, assignee, updated_at, TTL refreshed; a second claimant gets CONFLICT', async () => {
        let clock = Date.parse('2026-01-01T00:00:00Z');
        const timed = await env.peer({ now: () => clock, transport: env.transport });
        await timed.createTask({ id: 'c1', description: 'x', type: 'a' });
        await raw.expire(keys.task('c1'), 100);
        clock += 5_000;
        const t = await timed.claimTask('c1', 'worker-1');
        expect(t).toMatchObject({ status: 'in_progress', assignee: 'worker-1', updated_at: '2026-01-01T00:00:05.000Z', created_at: '2026-01-01T00:00:00.000Z' });
        expect(await raw.ttl(keys.task('c1'))).toBeGreaterThan(TASK_TTL_SECONDS - 5);
        expect(await raw.zrange(keys.key('swarm', 'tasks', 'status', 'pending'))).toEqual([]);
        expect(await raw.zrange(keys.key('swarm', 'tasks', 'status', 'in_progress'))).toEqual(['c1']);

        await expectCode(timed.claimTask('c1', 'worker-2'), ERROR_CODES.CONFLICT, /in_progress \(assigned to worker-1\)/);
        // The same agent claiming again (a retried request) gets its task back.
        expect(await timed.claimTask('c1', 'worker-1')).toEqual(t);
        await expectCode(swarm.claimTask('missing', 'worker-1'), ERROR_CODES.NOT_FOUND);
      });

      it('refuses a bad agent id with INVALID_ARGUMENT and changes nothing', async () => {
        await swarm.createTask({ id: 'c2', description: 'x', type: 'a' });
        const before = await snapshot();
        await expectCode(swarm.claimTask('c2', 'has space'), ERROR_CODES.INVALID_ARGUMENT, /agent id/);
        await expectCode(swarm.claimTask('c2', ''), ERROR_CODES.INVALID_ARGUMENT);
        await expectCode(swarm.claimNextTask('x'.repeat(300)), ERROR_CODES.INVALID_ARGUMENT);
        expect(await snapshot()).toEqual(before);
      });

      it('a claim race of 50 concurrent claimants (separate connections) has exactly one winner', async () => {
        await swarm.createTask({ id: 'race', description: 'contested', type: 'a' });
        const claimants = await Promise.all(Array.from({ length: 50 }, () => env.peer()));
        const results = await Promise.allSettled(claimants.map((s, i) => s.claimTask('race', `agent-${i}`)));
        const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
        expect(winners).toHaveLength(1);
        for (const r of results) {
          if (r.status === 'rejected') expect((r.reason as AgentbusError).code).toBe(ERROR_CODES.CONFLICT);
        }
        const task = await swarm.getTask('race');
        expect(task).toMatchObject({ status: 'in_progress', assignee: `agent-${winners[0]}` });
      });

      it('50 concurrent claimNextTask callers share 10 tasks: each task claimed once, the rest get undefined', async () => {
        for (let i = 0; i < 10; i++) await swarm.createTask({ id: `n-${i}`, description: 'x', type: 'a' });
        const claimants = await Promise.all(Array.from({ length: 50 }, () => env.peer()));
        const got = await Promise.all(claimants.map((s, i) => s.claimNextTask(`agent-${i}`)));
        const claimed = got.filter((t) => t !== undefined);
        expect(claimed).toHaveLength(10);
        expect(new Set(claimed.map((t) => t!.id)).size).toBe(10);
        const listed = await swarm.listTasks({ status: 'in_progress' });
        expect(listed.items).toHaveLength(10);
        for (const t of listed.items) expect(claimed.find((c) => c!.id === t.id)?.assignee).toBe(t.assignee);
        expect((await swarm.listTasks({ status: 'pending' })).items).toEqual([]);
      });

      it('claimNextTask takes the oldest pending unassigned task, of a type if asked', async () => {
        let clock = 1_000_000;
        const s = await env.peer({ now: () => (clock += 10), transport: env.transport });
        await s.createTask({ id: 'o1', description: 'x', type: 'a' });
        await s.createTask({ id: 'o2', description: 'x', type: 'b' });
        await s.createTask({ id: 'o3', description: 'x', type: 'a' });
        expect((await s.claimNextTask('w', { type: 'b' }))?.id).toBe('o2');
        expect((await s.claimNextTask('w'))?.id).toBe('o1');
        expect(await s.claimNextTask('w', { type: 'c' })).toBeUndefined();
        expect((await s.claimNextTask('w'))?.id).toBe('o3');
        expect(await s.claimNextTask('w')).toBeUndefined();
        await expectInvalid(s.claimNextTask('w', { source: 'everywhere' } as never), 'source');
      });

      it('claimNextTask skips stale index entries and tasks changed behind its back', async () => {
        await swarm.createTask({ id: 's1', description: 'x', type: 'a' });
        await swarm.createTask({ id: 's2', description: 'x', type: 'a' });
        await swarm.createTask({ id: 's3', description: 'x', type: 'a' });
        await swarm.createTask({ id: 's4', description: 'x', type: 'a' });
        // s1 expired, s2 completed by a Python agent, s3 got corrupted: only s4 is claimable.
        await raw.expire(keys.task('s1'), 0);
        await raw.hset(keys.task('s2'), { status: 'completed' });
        await raw.hset(keys.task('s3'), { created_at: 'yesterday' });
        const t = await swarm.claimNextTask('w');
        expect(t?.id).toBe('s4');
        expect(await raw.zrange(keys.key('swarm', 'tasks', 'status', 'completed'))).toContain('s2');
      });

      it('claimNextTask with source scan finds tasks only a Python agent wrote (no index entry)', async () => {
        await pythonTask('py-a', { type: 'review', created_at: '2025-11-30T09:00:00' });
        await pythonTask('py-b', { type: 'research', created_at: '2025-11-30T08:00:00' });
        await pythonTask('py-c', { status: 'in_progress', assignee: 'other' });
        expect(await swarm.claimNextTask('w')).toBeUndefined();
        expect((await swarm.claimNextTask('w', { source: 'scan', type: 'review' }))?.id).toBe('py-a');
        const t = await swarm.claimNextTask('w', { source: 'scan' });
        expect(t).toMatchObject({ id: 'py-b', status: 'in_progress', assignee: 'w' });
        expect(await swarm.claimNextTask('w', { source: 'scan' })).toBeUndefined();
        // Once claimed through the swarm, the task is in the index.
        expect((await swarm.listTasks({ status: 'in_progress' })).items.map((x) => x.id).sort()).toEqual(['py-a', 'py-b']);
      });

      it('refuses a pending task that carries an assignee (written so by another program)', async () => {
        await pythonTask('odd', { assignee: 'someone' });
        await expectCode(swarm.claimTask('odd', 'w1'), ERROR_CODES.CONFLICT, /assigned to someone already/);
        expect(await swarm.claimNextTask('w1', { source: 'scan' })).toBeUndefined();
      });

      it('writes nothing when an index key has the wrong type, and works again after remediation', async () => {
        await swarm.createTask({ id: 'w0', description: 'x', type: 'a' });
        const pending = keys.key('swarm', 'tasks', 'status', 'pending');
        await raw.set(pending, 'not an index');
        const before = await snapshot();
        await expectCode(swarm.createTask({ id: 'w1', description: 'x', type: 'a' }), ERROR_CODES.WRONG_TYPE, /swarm:tasks:status:pending/);
        await expectCode(swarm.claimTask('w0', 'agent'), ERROR_CODES.WRONG_TYPE, /remediation/);
        await raw.set(keys.key('swarm', 'findings', 'task', 't'), 'not an index');
        await expectCode(swarm.postFinding({ claim: 'c', confidence: 1, worker_id: 'w', task_id: 't' }), ERROR_CODES.WRONG_TYPE);
        delete before[keys.key('swarm', 'findings', 'task', 't')];
        const after = await snapshot();
        delete after[keys.key('swarm', 'findings', 'task', 't')];
        expect(after).toEqual(before);
        await swarm.remediate({ apply: true });
        expect((await swarm.createTask({ id: 'w1', description: 'x', type: 'a' })).status).toBe('pending');
        expect((await swarm.claimTask('w0', 'agent')).status).toBe('in_progress');
      });

      it('release: only by the assignee, back to pending and unassigned, claimable again', async () => {
        await swarm.createTask({ id: 'r1', description: 'x', type: 'a' });
        await expectCode(swarm.releaseTask('r1', 'w1'), ERROR_CODES.CONFLICT);
        await swarm.claimTask('r1', 'w1');
        await expectCode(swarm.releaseTask('r1', 'w2'), ERROR_CODES.CONFLICT, /assigned to w1, not w2/);
        const released = await swarm.releaseTask('r1', 'w1');
        expect(released.status).toBe('pending');
        expect(released.assignee).toBeUndefined();
        expect((await raw.hgetall(keys.task('r1'))).assignee).toBe('');
        expect((await swarm.claimNextTask('w2'))?.id).toBe('r1');
        await expectCode(swarm.releaseTask('missing', 'w1'), ERROR_CODES.NOT_FOUND);
      });

      it('complete: only by the assignee of a claimed task, with a result; repeating it is harmless', async () => {
        await swarm.createTask({ id: 'd1', description: 'x', type: 'a' });
        await expectCode(swarm.completeTask('d1', 'w1', 'done'), ERROR_CODES.CONFLICT, /pending.*claim it first/);
        await swarm.claimTask('d1', 'w1');
        await expectCode(swarm.completeTask('d1', 'w2', 'done'), ERROR_CODES.CONFLICT, /only its assignee/);
        const before = await snapshot();
        await expectCode(swarm.completeTask('d1', 'w1', ''), ERROR_CODES.INVALID_ARGUMENT, /result/);
        expect(await snapshot()).toEqual(before);
        const done = await swarm.completeTask('d1', 'w1', '3 findings');
        expect(done).toMatchObject({ status: 'completed', result: '3 findings', assignee: 'w1' });
        expect(await swarm.completeTask('d1', 'w1', '3 findings')).toEqual(done);
        await expectCode(swarm.failTask('d1', 'w1', 'oops'), ERROR_CODES.CONFLICT, /completed/);
        expect((await swarm.listTasks({ status: 'completed' })).items.map((t) => t.id)).toEqual(['d1']);
      });

      it('fail: only by the assignee, with an error text', async () => {
        await swarm.createTask({ id: 'f1', description: 'x', type: 'a' });
        await swarm.claimTask('f1', 'w1');
        await expectCode(swarm.failTask('f1', 'w1', 7 as never), ERROR_CODES.INVALID_ARGUMENT, /error/);
        await expectCode(swarm.failTask('f1', 'w9', 'x'), ERROR_CODES.CONFLICT);
        expect(await swarm.failTask('f1', 'w1', 'source unreachable')).toMatchObject({ status: 'failed', error: 'source unreachable' });
        expect((await swarm.listTasks({ status: 'failed' })).items).toHaveLength(1);
      });

      it('lists by status (one or several), type and limit from the index, oldest first', async () => {
        let clock = 5_000_000;
        const s = await env.peer({ now: () => (clock += 10), transport: env.transport });
        for (const [id, type] of [['l1', 'a'], ['l2', 'b'], ['l3', 'a'], ['l4', 'a']] as const) await s.createTask({ id, description: 'x', type });
        await s.claimTask('l3', 'w');
        await s.createTask({ id: 'l5', description: 'x', type: 'a' });
        await raw.expire(keys.task('l5'), 0);
        const ids = async (o: Parameters<Swarm['listTasks']>[0]) => (await s.listTasks(o)).items.map((t) => t.id);
        expect(await ids({ status: 'pending' })).toEqual(['l1', 'l2', 'l4']);
        // The expired task's entry is gone from the index.
        expect(await raw.zrange(keys.key('swarm', 'tasks', 'status', 'pending'))).toEqual(['l1', 'l2', 'l4']);
        expect(await ids({ status: 'pending', type: 'a' })).toEqual(['l1', 'l4']);
        expect(await ids({ status: ['in_progress', 'pending'], limit: 2 })).toEqual(['l3', 'l1']);
        expect(await ids({})).toEqual(['l1', 'l2', 'l4', 'l3']);
        expect(await ids(undefined)).toHaveLength(4);
        await expectInvalid(s.listTasks({ status: 'done' as never }), 'status');
        await expectInvalid(s.listTasks({ limit: 0 }), 'limit');
      });

      it('lists with source scan, seeing Python-written hashes; bad records are reported, not thrown', async () => {
        await swarm.createTask({ id: 'own', description: 'x', type: 'a' });
        await pythonTask('py-1');
        await pythonTask('py-2', { status: 'completed' });
        const bad = await pythonTask('py-bad', { data: 'not json' });
        await raw.set(keys.task('wrong'), 'text');
        const list = await swarm.listTasks({ source: 'scan', status: 'pending' });
        expect(list.items.map((t) => t.id).sort()).toEqual(['own', 'py-1']);
        expect(list.invalid).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ key: bad, code: ERROR_CODES.INVALID_MESSAGE, field: 'data' }),
            expect.objectContaining({ key: keys.task('wrong'), code: ERROR_CODES.WRONG_TYPE }),
          ]),
        );
        expect((await swarm.listTasks({ source: 'scan', limit: 1 })).items).toHaveLength(1);
        expect((await swarm.listTasks({ status: 'pending' })).items.map((t) => t.id)).toEqual(['own']);
      });

      it('heals the index when an agent changes a task hash directly; reports bad indexed records', async () => {
        await swarm.createTask({ id: 'h1', description: 'x', type: 'a' });
        await swarm.createTask({ id: 'h2', description: 'x', type: 'a' });
        await swarm.createTask({ id: 'h3', description: 'x', type: 'a' });
        await raw.hset(keys.task('h1'), { status: 'BLOCKED', error: 'waiting for input' });
        await raw.hset(keys.task('h3'), { status: 'nonsense' });
        const pending = await swarm.listTasks({ status: 'pending' });
        expect(pending.items.map((t) => t.id)).toEqual(['h2']);
        expect(pending.invalid).toEqual([expect.objectContaining({ key: keys.task('h3'), field: 'status' })]);
        expect((await swarm.listTasks({ status: 'blocked' })).items.map((t) => t.id)).toEqual(['h1']);
        // A blocked task can be escalated, not claimed.
        await expectCode(swarm.claimTask('h1', 'w'), ERROR_CODES.CONFLICT, /blocked/);
      });
    });

    describe('claim leases', () => {
      const LEASE = 60_000;
      const iso = (ms: number) => new Date(ms).toISOString();
      const leaseIndex = () => raw.zrange(keys.key('swarm', 'tasks', 'lease', 'in_progress'));

      it('a claim holds a lease until claimed_until (now + claimLeaseMs); the assignee renews it', async () => {
        let clock = Date.parse('2026-01-01T00:00:00Z');
        const s = await env.peer({ now: () => clock, claimLeaseMs: LEASE, transport: env.transport });
        await s.createTask({ id: 'l1', description: 'x', type: 'a' });
        const t = await s.claimTask('l1', 'w1');
        expect(t.claimed_until).toBe('2026-01-01T00:01:00.000Z');
        expect(await leaseIndex()).toEqual(['l1']);
        clock += 30_000;
        const renewed = await s.renewClaim('l1', 'w1');
        expect(renewed).toMatchObject({ status: 'in_progress', assignee: 'w1', claimed_until: '2026-01-01T00:01:30.000Z', updated_at: t.updated_at });
        expect(await s.getTask('l1')).toEqual(renewed);
        await expectCode(s.renewClaim('l1', 'w2'), ERROR_CODES.CONFLICT, /assigned to w1, not w2/);
        await expectCode(s.renewClaim('missing', 'w1'), ERROR_CODES.NOT_FOUND);
        await expectCode(s.renewClaim('l1', 'has space'), ERROR_CODES.INVALID_ARGUMENT, /agent id/);
        await s.createTask({ id: 'l2', description: 'x', type: 'a' });
        await expectCode(s.renewClaim('l2', 'w1'), ERROR_CODES.CONFLICT, /pending.*claim it first/);
        // A task given back or finished holds no lease.
        expect((await s.releaseTask('l1', 'w1')).claimed_until).toBeUndefined();
        expect(await leaseIndex()).toEqual([]);
        await s.claimTask('l2', 'w1');
        expect((await s.completeTask('l2', 'w1', 'ok')).claimed_until).toBeUndefined();
        expect(await leaseIndex()).toEqual([]);
      });

      it('claimNextTask takes back a task whose claimant died once its lease ran out, and counts it', async () => {
        let clock = Date.parse('2026-01-01T00:00:00Z');
        const s = await env.peer({ now: () => clock, claimLeaseMs: LEASE, transport: env.transport });
        await s.createTask({ id: 'dead', description: 'x', type: 'a' });
        await s.claimTask('dead', 'w1');
        clock += LEASE - 1;
        expect(await s.claimNextTask('w2')).toBeUndefined();
        await expectCode(s.claimTask('dead', 'w2'), ERROR_CODES.CONFLICT, /in_progress \(assigned to w1\)/);
        clock += 2;
        const t = await s.claimNextTask('w2');
        expect(t).toMatchObject({ id: 'dead', status: 'in_progress', assignee: 'w2', reclaimed_count: '1', reclaimed_from: 'w1', claimed_until: iso(clock + LEASE) });
        expect(await raw.zrange(keys.key('swarm', 'tasks', 'status', 'in_progress'))).toEqual(['dead']);
        expect(await leaseIndex()).toEqual(['dead']);
        // The claimant that was given up on can no longer finish or renew it.
        await expectCode(s.completeTask('dead', 'w1', 'late'), ERROR_CODES.CONFLICT, /assigned to w2, not w1/);
        await expectCode(s.renewClaim('dead', 'w1'), ERROR_CODES.CONFLICT, /assigned to w2, not w1/);
        expect(await s.claimNextTask('w3')).toBeUndefined();
        // claimTask takes a specific task back the same way.
        clock += LEASE + 1;
        expect(await s.claimTask('dead', 'w3')).toMatchObject({ assignee: 'w3', reclaimed_count: '2', reclaimed_from: 'w2' });
        expect((await s.completeTask('dead', 'w3', 'ok')).status).toBe('completed');
        expect(await s.claimNextTask('w4')).toBeUndefined();
      });

      it('renewing keeps a claim past its first lease; an escalated task is never taken back', async () => {
        let clock = Date.parse('2026-01-01T00:00:00Z');
        const s = await env.peer({ now: () => clock, claimLeaseMs: LEASE, transport: env.transport });
        await s.createTask({ id: 'kept', description: 'x', type: 'a' });
        await s.createTask({ id: 'helped', description: 'x', type: 'a' });
        await s.claimTask('kept', 'w1');
        await s.claimTask('helped', 'w1');
        await s.escalate('helped', { agent_id: 'w1', reason: 'stuck' });
        for (let i = 0; i < 4; i++) {
          clock += LEASE / 2;
          await s.renewClaim('kept', 'w1');
        }
        clock += LEASE - 1;
        expect(await s.claimNextTask('w2')).toBeUndefined();
        await expectCode(s.claimTask('kept', 'w2'), ERROR_CODES.CONFLICT);
        await expectCode(s.claimTask('helped', 'w2'), ERROR_CODES.CONFLICT, /needs_assist/);
        expect(await s.getTask('kept')).toMatchObject({ assignee: 'w1' });
        expect((await s.getTask('kept')).reclaimed_count).toBeUndefined();
      });

      it('claimNextTask takes back expired claims before pending tasks, by type, and with source scan', async () => {
        let clock = Date.parse('2026-01-01T00:00:00Z');
        const s = await env.peer({ now: () => clock, claimLeaseMs: LEASE, transport: env.transport });
        await s.createTask({ id: 'xa', description: 'x', type: 'a' });
        await s.createTask({ id: 'xb', description: 'x', type: 'b' });
        await s.claimTask('xa', 'w1');
        await s.claimTask('xb', 'w1');
        await s.createTask({ id: 'pa', description: 'x', type: 'a' });
        clock += LEASE + 1;
        expect((await s.claimNextTask('w2', { type: 'b' }))?.id).toBe('xb');
        expect((await s.claimNextTask('w2'))?.id).toBe('xa');
        expect((await s.claimNextTask('w2'))?.id).toBe('pa');
        clock += LEASE + 1;
        expect((await s.claimNextTask('w3', { source: 'scan', type: 'a' }))?.id).toMatch(/^(xa|pa)$/);
        expect((await s.claimNextTask('w3', { source: 'scan', type: 'a' }))?.id).toMatch(/^(xa|pa)$/);
        expect(await s.claimNextTask('w3', { source: 'scan', type: 'a' })).toBeUndefined();
        expect((await s.getTask('xa')).reclaimed_count).toBe('2');
      });

      it('skips lease index entries of tasks that are gone or were finished behind its back', async () => {
        let clock = Date.parse('2026-01-01T00:00:00Z');
        const s = await env.peer({ now: () => clock, claimLeaseMs: LEASE, transport: env.transport });
        for (const id of ['g1', 'g2', 'g3']) {
          await s.createTask({ id, description: 'x', type: 'a' });
          await s.claimTask(id, 'w1');
        }
        await raw.expire(keys.task('g1'), 0);
        await raw.hset(keys.task('g2'), { status: 'completed' });
        clock += LEASE + 1;
        expect((await s.claimNextTask('w2'))?.id).toBe('g3');
        expect(await leaseIndex()).toEqual(['g3']);
      });

      it('with a short real lease: a dead claimant loses the task to claimNextTask, a renewing one keeps it', async () => {
        // Real time on the default clock. The lease is 10 renewals long, so only a stall of most of
        // a second could let the live claim lapse; the dead one is polled for, not slept on.
        const lease = 1_000;
        const s = await env.peer({ claimLeaseMs: lease, transport: env.transport });
        await s.createTask({ id: 'rt-dead', description: 'x', type: 'a' });
        await s.createTask({ id: 'rt-alive', description: 'x', type: 'b' });
        const claimedAt = Date.now();
        await s.claimTask('rt-dead', 'w1');
        await s.claimTask('rt-alive', 'w1');
        const heartbeat = setInterval(() => void s.renewClaim('rt-alive', 'w1').catch(() => undefined), lease / 10);
        try {
          const other = await env.peer({ claimLeaseMs: lease });
          const taken = await vi.waitFor(
            async () => {
              const t = await other.claimNextTask('w2');
              if (t === undefined) throw new Error('no lease has run out yet');
              return t;
            },
            { timeout: lease * 10, interval: 50 },
          );
          expect(taken).toMatchObject({ id: 'rt-dead', assignee: 'w2', reclaimed_count: '1' });
          // Not before its lease ran out (a stall only makes it later).
          expect(Date.now() - claimedAt).toBeGreaterThanOrEqual(lease);
          expect(await other.claimNextTask('w2')).toBeUndefined();
        } finally {
          clearInterval(heartbeat);
        }
      });
    });

    describe('task TTL', () => {
      const between = async (key: string, low: number, high: number) => {
        const ttl = await raw.ttl(key);
        expect(ttl, key).toBeGreaterThanOrEqual(low);
        expect(ttl, key).toBeLessThanOrEqual(high);
      };

      it('keeps a task\'s own TTL (ttl_seconds) across every transition instead of the 24 h default', async () => {
        const key = keys.task('short');
        const t = await swarm.createTask({ id: 'short', description: 'x', type: 'a', ttl_seconds: 600 });
        expect(t.ttl_seconds).toBe('600');
        await between(key, 595, 600);
        await raw.expire(key, 100);
        await swarm.claimTask('short', 'w1');
        await between(key, 595, 600);
        await raw.expire(key, 100);
        await swarm.renewClaim('short', 'w1');
        await between(key, 595, 600);
        await raw.expire(key, 100);
        await swarm.escalate('short', { agent_id: 'w1', reason: 'r' });
        await between(key, 595, 600);
        await raw.expire(key, 100);
        await swarm.completeTask('short', 'w1', 'ok');
        await between(key, 595, 600);

        const long = await swarm.createTask({ id: 'long', description: 'x', type: 'a', ttl_seconds: 3 * DAY });
        await between(keys.task(long.id), 3 * DAY - 5, 3 * DAY);
        // The index outlives what it indexes.
        await between(keys.key('swarm', 'tasks', 'status', 'pending'), 3 * DAY - 5, 3 * DAY);
        await swarm.claimTask('long', 'w1');
        await between(keys.key('swarm', 'tasks', 'status', 'in_progress'), 3 * DAY - 5, 3 * DAY);
        await expectInvalid(swarm.createTask({ description: 'x', type: 'a', ttl_seconds: 0 }), 'ttl_seconds');
        await expectInvalid(swarm.createTask({ description: 'x', type: 'a', ttl_seconds: 1.5 }), 'ttl_seconds');
      });

      it('keeps the ttl_seconds a Python agent wrote; ignores one that is no whole number of seconds', async () => {
        const own = await pythonTask('py-ttl', { ttl_seconds: '3600' });
        await swarm.claimTask('py-ttl', 'w1');
        await between(own, 3595, 3600);
        await swarm.releaseTask('py-ttl', 'w1');
        await between(own, 3595, 3600);
        const odd = await pythonTask('py-odd', { ttl_seconds: 'soon' });
        await raw.expire(odd, 100);
        await swarm.claimTask('py-odd', 'w1');
        await between(odd, TASK_TTL_SECONDS - 5, TASK_TTL_SECONDS);
      });
    });

    describe('findings', () => {
      const finding = (over: Record<string, unknown> = {}) => ({
        claim: 'Redis 7 is required',
        confidence: 0.9,
        citations: ['if://citation/abc', 'https://redis.io/docs'],
        worker_id: 'haiku-1',
        task_id: 'task-9',
        ...over,
      });

      it('posts a finding as a JSON string with its TTL, indexed under its task; get and list read it back', async () => {
        let clock = Date.parse('2026-02-01T00:00:00Z');
        const s = await env.peer({ now: () => (clock += 1_000), transport: env.transport });
        const a = await s.postFinding(finding({ id: 'f-a' }));
        const b = await s.postFinding(finding({ claim: 'Redis 6.2 is enough', confidence: 0.5, speech_act: 'propose' }));
        expect(a).toMatchObject({ id: 'f-a', speech_act: 'inform', timestamp: '2026-02-01T00:00:01.000Z', task_id: 'task-9' });
        expect(await raw.type(keys.finding('f-a'))).toBe('string');
        expect(JSON.parse((await raw.get(keys.finding('f-a')))!)).toMatchObject({ confidence: 0.9 });
        expect(await raw.ttl(keys.finding('f-a'))).toBeGreaterThan(DAY - 5);
        expect(await s.getFinding('f-a')).toEqual(a);
        expect((await s.listFindings('task-9')).items).toEqual([a, b]);
        expect((await s.listFindings('task-9', { limit: 1 })).items).toEqual([a]);
        expect((await s.listFindings('other')).items).toEqual([]);
        const free = await s.postFinding(finding({ id: 'free', task_id: undefined }));
        expect(free.task_id).toBeUndefined();
        await expectCode(s.getFinding('nope'), ERROR_CODES.NOT_FOUND);
      });

      it.each([
        [{ confidence: 1.5 }, 'confidence'],
        [{ confidence: -0.1 }, 'confidence'],
        [{ confidence: 'high' }, 'confidence'],
        [{ confidence: Number.NaN }, 'confidence'],
        [{ citations: ['not a uri'] }, 'citations.0'],
        [{ claim: '' }, 'claim'],
        [{ worker_id: undefined }, 'worker_id'],
        [{ speech_act: 'shout' }, 'speech_act'],
        [{ task_id: 'has space' }, 'task_id'],
      ])('refuses %j naming %s, writing nothing', async (over, path) => {
        const before = await snapshot();
        await expectInvalid(swarm.postFinding(finding(over) as never), path);
        expect(await snapshot()).toEqual(before);
      });

      it('refuses a duplicate finding id with CONFLICT', async () => {
        await swarm.postFinding(finding({ id: 'same' }));
        await expectCode(swarm.postFinding(finding({ id: 'same', claim: 'other' })), ERROR_CODES.CONFLICT, /same exists already/);
        expect((await swarm.getFinding('same')).claim).toBe('Redis 7 is required');
      });

      it('reads findings older Python agents stored as hashes, and lists unindexed ones with source scan', async () => {
        await raw.hset(keys.finding('legacy'), {
          id: 'legacy',
          claim: 'it works',
          confidence: '0.7',
          citations: '["if://citation/x"]',
          speech_act: 'INFORM',
          worker_id: 'py-worker',
          task_id: 'task-9',
          timestamp: '1764494102',
        });
        await raw.set(keys.finding('json-only'), JSON.stringify({ ...finding({ id: 'json-only' }), speech_act: 'inform', timestamp: '2025-01-01T00:00:00Z' }));
        await raw.set(keys.finding('broken'), '{"id": "broken"');
        expect(await swarm.getFinding('legacy')).toMatchObject({ confidence: 0.7, speech_act: 'inform', citations: ['if://citation/x'] });
        await expectCode(swarm.getFinding('broken'), ERROR_CODES.INVALID_MESSAGE, /invalid finding/);
        expect((await swarm.listFindings('task-9')).items).toEqual([]);
        const scanned = await swarm.listFindings('task-9', { source: 'scan' });
        expect(scanned.items.map((f) => f.id)).toEqual(['json-only', 'legacy']);
        expect(scanned.invalid).toEqual([expect.objectContaining({ key: keys.finding('broken'), field: '(root)' })]);
      });

      it('reports bad indexed findings and drops index entries of expired ones', async () => {
        await swarm.postFinding(finding({ id: 'x1' }));
        await swarm.postFinding(finding({ id: 'x2' }));
        await swarm.postFinding(finding({ id: 'x3' }));
        await raw.set(keys.finding('x2'), '{"id":"x2","confidence":2}');
        await raw.expire(keys.finding('x3'), 0);
        const list = await swarm.listFindings('task-9');
        expect(list.items.map((f) => f.id)).toEqual(['x1']);
        expect(list.invalid).toEqual([expect.objectContaining({ key: keys.finding('x2'), field: 'claim' })]);
        expect((await raw.zrange(keys.key('swarm', 'findings', 'task', 'task-9'))).sort()).toEqual(['x1', 'x2']);
      });

      it('detects conflicts: disagreeing findings whose confidences differ by more than the threshold', async () => {
        let clock = 9_000_000;
        const s = await env.peer({ now: () => (clock += 10), transport: env.transport });
        await s.postFinding(finding({ id: 'hi', claim: 'Redis 7 is required.', confidence: 0.9 }));
        await s.postFinding(finding({ id: 'lo', claim: 'Redis 6.2 is enough', confidence: 0.4, worker_id: 'haiku-2' }));
        await s.postFinding(finding({ id: 'same', claim: 'redis 7  is REQUIRED', confidence: 0.5, worker_id: 'haiku-3' }));
        await s.postFinding(finding({ id: 'deny', claim: 'Redis 7 is required', confidence: 0.55, speech_act: 'reject', worker_id: 'haiku-4' }));
        await s.postFinding(finding({ id: 'edge', claim: 'Redis 6.2 is enough', confidence: 0.6, worker_id: 'haiku-5' }));
        const report = await s.detectConflicts('task-9');
        expect(report).toMatchObject({ task_id: 'task-9', threshold: 0.3, findings: 5, invalid: [] });
        const pairs = report.conflicts.map((c) => [c.higher.id, c.lower.id, c.reason, Number(c.gap.toFixed(2))]);
        expect(pairs).toEqual([
          ['hi', 'lo', 'different_claims', 0.5],
          ['hi', 'deny', 'opposed_acts', 0.35],
        ]);
        // 'same' agrees with 'hi' (same claim, normalised); 0.9 - 0.6 = 0.3 is not more than 0.3.
        expect((await s.detectConflicts('task-9', { threshold: 0.45 })).conflicts).toHaveLength(1);
        expect((await s.detectConflicts('task-9', { threshold: 0 })).conflicts.length).toBeGreaterThan(2);
        expect((await s.detectConflicts('none')).conflicts).toEqual([]);
        await expectInvalid(s.detectConflicts('task-9', { threshold: 2 }), 'threshold');
        const strict = await env.peer({ conflictThreshold: 0.45, transport: env.transport });
        expect((await strict.detectConflicts('task-9')).conflicts).toHaveLength(1);
      });
    });

    describe('escalation', () => {
      async function escalations(transport: Transport): Promise<Envelope[]> {
        const got: Envelope[] = [];
        const consumer = transport.consume('swarm.escalations', (e) => void got.push(e), { group: `g-${Math.random()}`, blockMs: 50 });
        try {
          await consumer.ready();
          const stats = await transport.stats('swarm.escalations');
          await vi.waitFor(() => expect(got).toHaveLength(stats.length), { timeout: 3_000, interval: 20 });
        } finally {
          await consumer.close(0);
        }
        return got;
      }

      it('marks the task needs_assist and appends an escalate envelope to the escalations stream', async () => {
        await swarm.createTask({ id: 'e1', description: 'x', type: 'a' });
        await swarm.claimTask('e1', 'w1');
        const r = await swarm.escalate('e1', { agent_id: 'w1', reason: 'findings conflict', finding_ids: ['f1', 'f2'] });
        expect(r.task).toMatchObject({ status: 'needs_assist', assignee: 'w1', escalation_id: r.id, escalation_reason: 'findings conflict' });
        expect(r.topic).toBe('swarm.escalations');
        expect(r.streamId).toMatch(/^\d+-\d+$/);
        expect((await swarm.listTasks({ status: 'needs_assist' })).items.map((t) => t.id)).toEqual(['e1']);
        const [env0] = await escalations(env.transport);
        expect(env0).toMatchObject({ id: r.id, type: 'swarm.escalation', act: 'escalate', from: 'w1', to: 'human', priority: 'high' });
        const payload = env0!.payload as EscalationPayload;
        expect(payload).toMatchObject({ task_id: 'e1', reason: 'findings conflict', agent_id: 'w1', finding_ids: ['f1', 'f2'], previous_status: 'in_progress' });
        // The assignee can still finish it after the human helped.
        expect((await swarm.completeTask('e1', 'w1', 'resolved')).status).toBe('completed');
      });

      it('refuses a closed task and bad input, publishing nothing', async () => {
        await swarm.createTask({ id: 'e2', description: 'x', type: 'a' });
        await swarm.claimTask('e2', 'w1');
        await swarm.completeTask('e2', 'w1', 'ok');
        await expectCode(swarm.escalate('e2', { agent_id: 'w1', reason: 'why' }), ERROR_CODES.CONFLICT, /completed/);
        await expectCode(swarm.escalate('missing', { agent_id: 'w1', reason: 'why' }), ERROR_CODES.NOT_FOUND);
        await swarm.createTask({ id: 'e3', description: 'x', type: 'a' });
        const before = await snapshot();
        await expectInvalid(swarm.escalate('e3', { agent_id: 'w1', reason: '' }), 'reason');
        await expectInvalid(swarm.escalate('e3', { agent_id: 'w1', reason: 'r', priority: 'asap' } as never), 'priority');
        expect(await snapshot()).toEqual(before);
        expect((await env.transport.stats('swarm.escalations')).length).toBe(0);
      });

      it('appends exactly one stream entry per successful escalation and none for a refused one', async () => {
        for (const id of ['x1', 'x2', 'x3']) await swarm.createTask({ id, description: 'x', type: 'a' });
        await swarm.claimTask('x2', 'w1');
        await swarm.claimTask('x3', 'w1');
        await swarm.completeTask('x3', 'w1', 'done');
        const first = await swarm.escalate('x1', { agent_id: 'w1', reason: 'r1' });
        const second = await swarm.escalate('x2', { agent_id: 'w1', reason: 'r2' });
        // An escalated task is still open: escalating it again is one more escalation.
        const again = await swarm.escalate('x2', { agent_id: 'w2', reason: 'r3', priority: 'urgent' });
        await expectCode(swarm.escalate('x3', { agent_id: 'w1', reason: 'r4' }), ERROR_CODES.CONFLICT, /completed/);
        await expectCode(swarm.escalate('nope', { agent_id: 'w1', reason: 'r5' }), ERROR_CODES.NOT_FOUND);
        await expectInvalid(swarm.escalate('x1', { agent_id: 'w1', reason: '' }), 'reason');
        const got = await escalations(env.transport);
        expect(got.map((e) => e.id).sort()).toEqual([first.id, second.id, again.id].sort());
        expect((await swarm.getTask('x2')).escalation_id).toBe(again.id);
        const byId = new Map(got.map((e) => [e.id, e]));
        // The envelope carries the task exactly as marked, and what it was before.
        expect((byId.get(second.id)!.payload as EscalationPayload).task).toEqual(second.task);
        expect((byId.get(again.id)!.payload as EscalationPayload)).toMatchObject({ previous_status: 'needs_assist', task: again.task });
        expect(byId.get(again.id)!.priority).toBe('urgent');
      });

      it('an escalation that cannot reach the stream marks nothing', async () => {
        await swarm.createTask({ id: 'e4', description: 'x', type: 'a' });
        await swarm.claimTask('e4', 'w1');
        const before = await raw.hgetall(keys.task('e4'));
        const failing = await env.failingEscalations();
        await rejection(failing.escalate('e4', { agent_id: 'w1', reason: 'help' }));
        expect(await raw.hgetall(keys.task('e4'))).toEqual(before);
        expect((await swarm.listTasks({ status: 'in_progress' })).items.map((t) => t.id)).toEqual(['e4']);
        expect((await swarm.listTasks({ status: 'needs_assist' })).items).toEqual([]);
      });

      it('a claim racing an escalation that cannot reach the stream never leaves a task pending with an assignee', async () => {
        const n = 40;
        for (let i = 0; i < n; i++) await swarm.createTask({ id: `rf-${i}`, description: 'x', type: 'a' });
        const failing = await env.failingEscalations();
        const claimers = await Promise.all(Array.from({ length: n }, () => env.peer()));
        await Promise.allSettled(
          claimers.flatMap((c, i) => [failing.escalate(`rf-${i}`, { agent_id: 'esc', reason: 'help' }), c.claimTask(`rf-${i}`, `agent-${i}`)]),
        );
        for (let i = 0; i < n; i++) {
          const t = await swarm.getTask(`rf-${i}`);
          expect(t, `rf-${i}`).toMatchObject({ status: 'in_progress', assignee: `agent-${i}` });
          expect(t.escalation_id, `rf-${i}`).toBeUndefined();
        }
      });

      it('claims racing escalations: one stream entry per escalation, describing the task exactly as marked', async () => {
        const n = 40;
        for (let i = 0; i < n; i++) await swarm.createTask({ id: `rs-${i}`, description: 'x', type: 'a' });
        const escalators = await Promise.all(Array.from({ length: n }, () => env.peer()));
        const claimers = await Promise.all(Array.from({ length: n }, () => env.peer()));
        const outcomes = await Promise.all(
          escalators.map((e, i) =>
            Promise.allSettled([e.escalate(`rs-${i}`, { agent_id: 'esc', reason: 'help' }), claimers[i]!.claimTask(`rs-${i}`, `agent-${i}`)]),
          ),
        );
        const entries = new Map((await escalations(env.transport)).map((e) => [e.id, e.payload as EscalationPayload]));
        expect(entries.size).toBe(n);
        for (let i = 0; i < n; i++) {
          const [escalated, claimed] = outcomes[i]!;
          expect(escalated.status, `rs-${i}`).toBe('fulfilled');
          const r = (escalated as PromiseFulfilledResult<EscalationResult>).value;
          const payload = entries.get(r.id)!;
          expect(payload.task).toEqual(r.task);
          expect(await swarm.getTask(`rs-${i}`)).toEqual(r.task);
          if (claimed.status === 'fulfilled') {
            // The claim came first: the escalation saw it.
            expect(payload, `rs-${i}`).toMatchObject({ previous_status: 'in_progress', task: { status: 'needs_assist', assignee: `agent-${i}` } });
          } else {
            expect((claimed.reason as AgentbusError).code).toBe(ERROR_CODES.CONFLICT);
            expect(payload, `rs-${i}`).toMatchObject({ previous_status: 'pending' });
            expect(payload.task.assignee, `rs-${i}`).toBeUndefined();
          }
        }
      });
    });

    describe('context', () => {
      it('shares by merging: notes and timeline appended, topics once, shared_data by key; TTL set', async () => {
        const clock = Date.parse('2026-03-01T10:00:00Z');
        const s = await env.peer({ now: () => clock, transport: env.transport });
        const first = await s.shareContext('task', 't-1', {
          notes: 'XAUTOCLAIM needs 6.2',
          timeline: [{ event: 'claimed', by: 'haiku-1' }],
          topics: ['redis'],
          shared_data: { budget: { tokens: 2000 }, owner: 'a' },
        });
        expect(first).toEqual({
          notes: ['XAUTOCLAIM needs 6.2'],
          timeline: [{ at: '2026-03-01T10:00:00.000Z', event: 'claimed', by: 'haiku-1' }],
          topics: ['redis'],
          shared_data: { budget: { tokens: 2000 }, owner: 'a' },
          scope: 'task',
          name: 't-1',
          updated_at: '2026-03-01T10:00:00.000Z',
        });
        const second = await s.shareContext('task', 't-1', {
          notes: ['cluster later'],
          timeline: [{ at: '2026-03-01T09:00:00Z', event: 'found' }],
          topics: ['redis', 'streams'],
          shared_data: { owner: 'b' },
        });
        expect(second.notes).toEqual(['XAUTOCLAIM needs 6.2', 'cluster later']);
        expect(second.timeline.map((e) => e.event)).toEqual(['claimed', 'found']);
        expect(second.topics).toEqual(['redis', 'streams']);
        expect(second.shared_data).toEqual({ budget: { tokens: 2000 }, owner: 'b' });
        expect(await s.getContext('task', 't-1')).toEqual(second);
        expect(await raw.type(keys.context('task', 't-1'))).toBe('string');
        expect(await raw.ttl(keys.context('task', 't-1'))).toBeGreaterThan(DAY - 5);
        await expectCode(s.getContext('task', 'none'), ERROR_CODES.NOT_FOUND);
      });

      it('loses no update when 20 agents share at once', async () => {
        const agents = await Promise.all(Array.from({ length: 20 }, () => env.peer()));
        await Promise.all(agents.map((a, i) => a.shareContext('swarm', 'busy', { notes: [`note-${i}`], shared_data: { [`k${i}`]: i } })));
        const c = await swarm.getContext('swarm', 'busy');
        expect(c.notes).toHaveLength(20);
        expect(Object.keys(c.shared_data)).toHaveLength(20);
      });

      it('reads a context a Python agent kept as a hash, and converts it to JSON on the next share', async () => {
        const key = keys.context('task', 'py');
        await raw.hset(key, { notes: 'Important', timeline: '[["2025-11-30T09:00:00", "claimed"]]', topics: '["research"]', shared_data: '{}' });
        expect(await swarm.getContext('task', 'py')).toMatchObject({ notes: ['Important'], timeline: [{ at: '2025-11-30T09:00:00.000Z', event: 'claimed' }] });
        const merged = await swarm.shareContext('task', 'py', { notes: 'more' });
        expect(merged.notes).toEqual(['Important', 'more']);
        expect(await raw.type(key)).toBe('string');
        expect(await raw.ttl(key)).toBeGreaterThan(DAY - 5);
      });

      it('refuses a bad patch and never overwrites a corrupt context', async () => {
        const before = await snapshot();
        await expectInvalid(swarm.shareContext('task', 'x', { timeline: [{ event: '' }] }), 'timeline.0.event');
        await expectInvalid(swarm.shareContext('task', 'x', { timeline: [{ event: 'e', at: 'someday' }] }), 'timeline.0.at');
        await expectInvalid(swarm.shareContext('task', 'x', { shared_data: { f: () => 1 } } as never), 'shared_data.f');
        await expectCode(swarm.shareContext('bad scope', 'x', {}), ERROR_CODES.INVALID_ARGUMENT, /context scope/);
        expect(await snapshot()).toEqual(before);
        const key = keys.context('task', 'corrupt');
        await raw.set(key, '{"notes": 5}');
        const error = await expectCode(swarm.shareContext('task', 'corrupt', { notes: 'x' }), ERROR_CODES.INVALID_MESSAGE);
        expect(error).toMatchObject({ key, field: 'notes' });
        expect(await raw.get(key)).toBe('{"notes": 5}');
      });
    });

    describe('session summaries', () => {
      it('puts and gets a summary at session:{project}:{date}:{label} with a 30 day TTL', async () => {
        const s = await swarm.putSessionSummary('infrafabric', { date: '2026-01-02', label: 'run-1', summary: 'ok', metrics: { findings: 3 } });
        expect(s).toMatchObject({ project: 'infrafabric', date: '2026-01-02', label: 'run-1', metrics: { findings: 3 } });
        const key = keys.session('infrafabric', '2026-01-02', 'run-1');
        expect(await raw.ttl(key)).toBeGreaterThan(30 * DAY - 5);
        expect(await swarm.getSessionSummary('infrafabric', '2026-01-02', 'run-1')).toEqual(s);
        const replaced = await swarm.putSessionSummary('infrafabric', { date: '2026-01-02', label: 'run-1', summary: 'redone', created_at: 0 });
        expect(replaced.created_at).toBe('1970-01-01T00:00:00.000Z');
        expect((await swarm.getSessionSummary('infrafabric', '2026-01-02', 'run-1')).summary).toBe('redone');
        await expectCode(swarm.getSessionSummary('infrafabric', '2026-01-02', 'none'), ERROR_CODES.NOT_FOUND);
      });

      it('refuses bad input, writing nothing', async () => {
        const before = await snapshot();
        await expectInvalid(swarm.putSessionSummary('p', { date: '2026-01-02', label: 'x', summary: 's', metrics: { n: 'many' } } as never), 'metrics.n');
        await expectInvalid(swarm.putSessionSummary('p', { date: 'a b', label: 'x', summary: 's' }), 'date');
        await expectCode(swarm.putSessionSummary('', { date: 'd', label: 'x', summary: 's' }), ERROR_CODES.INVALID_ARGUMENT, /project/);
        expect(await snapshot()).toEqual(before);
        await raw.set(keys.session('p', 'd', 'l'), '{"summary": 1}');
        await expectCode(swarm.getSessionSummary('p', 'd', 'l'), ERROR_CODES.INVALID_MESSAGE, /session summary/);
      });
    });

    describe('swarm registry', () => {
      const { publicKey } = generateSigningKeyPair();

      it('registers agents (creating the registry), updates an entry, heartbeats, sets the allowlist', async () => {
        let clock = Date.parse('2026-04-01T00:00:00Z');
        const s = await env.peer({ now: () => clock, transport: env.transport });
        const r1 = await s.registerAgent('swarm-a', { id: 'sonnet-0', role: 'coordinator', public_key: publicKey, model: 'claude' });
        expect(r1).toMatchObject({ id: 'swarm-a', created_at: '2026-04-01T00:00:00.000Z', roles: {}, artifacts: [] });
        expect(r1.agents).toEqual([{ id: 'sonnet-0', role: 'coordinator', status: 'active', public_key: publicKey, model: 'claude', last_seen: '2026-04-01T00:00:00.000Z' }]);
        clock += 60_000;
        await s.registerAgent('swarm-a', { id: 'haiku-1', role: 'worker', status: 'idle' });
        const r3 = await s.registerAgent('swarm-a', { id: 'sonnet-0', role: 'lead' });
        expect(r3.agents.map((a) => [a.id, a.role, a.status])).toEqual([
          ['sonnet-0', 'lead', 'active'],
          ['haiku-1', 'worker', 'idle'],
        ]);
        expect(r3.agents[0]!.public_key).toBe(publicKey);
        expect(await raw.ttl(keys.swarmRegistry('swarm-a'))).toBeGreaterThan(7 * DAY - 5);

        clock += 60_000;
        const a = await s.heartbeat('swarm-a', 'haiku-1', 'busy');
        expect(a).toMatchObject({ id: 'haiku-1', status: 'busy', last_seen: '2026-04-01T00:02:00.000Z' });
        expect((await s.heartbeat('swarm-a', 'haiku-1')).status).toBe('busy');
        await expectCode(s.heartbeat('swarm-a', 'ghost'), ERROR_CODES.NOT_FOUND, /not registered/);
        await expectCode(s.heartbeat('swarm-z', 'haiku-1'), ERROR_CODES.NOT_FOUND, /no registry/);
        await expectCode(s.heartbeat('swarm-a', 'haiku-1', 'asleep' as never), ERROR_CODES.INVALID_ARGUMENT);

        const roster = await s.getRoster('swarm-a');
        expect(roster.agents).toHaveLength(2);
        await expectCode(s.getRoster('swarm-z'), ERROR_CODES.NOT_FOUND);
        expect((await s.setAllowlist('swarm-a', ['swarm-b', 'swarm-b'])).allowlist).toEqual(['swarm-b']);
        await expectCode(s.setAllowlist('swarm-z', []), ERROR_CODES.NOT_FOUND);
      });

      it('canRead: the same swarm, or one on the target allowlist; fail closed without a registry', async () => {
        await swarm.registerAgent('swarm-a', { id: 'x', role: 'worker' });
        expect(await swarm.canRead('swarm-b', 'swarm-a')).toBe(false);
        await swarm.setAllowlist('swarm-a', ['swarm-b']);
        expect(await swarm.canRead('swarm-b', 'swarm-a')).toBe(true);
        expect(await swarm.canRead('swarm-c', 'swarm-a')).toBe(false);
        expect(await swarm.canRead('swarm-q', 'swarm-q')).toBe(true);
        expect(await swarm.canRead('swarm-b', 'nobody')).toBe(false);
        await expectCode(swarm.canRead('a b', 'swarm-a'), ERROR_CODES.INVALID_ARGUMENT);
        await raw.set(keys.swarmRegistry('broken'), 'nope');
        await expectCode(swarm.canRead('swarm-b', 'broken'), ERROR_CODES.INVALID_MESSAGE);
      });

      it('refuses a bad agent entry naming the field, writing nothing', async () => {
        await swarm.registerAgent('swarm-a', { id: 'ok', role: 'worker' });
        const before = await snapshot();
        await expectInvalid(swarm.registerAgent('swarm-a', { id: 'k', role: 'worker', public_key: 'abc' }), 'agents.1.public_key');
        await expectInvalid(swarm.registerAgent('swarm-a', { id: 'k', role: '' }), 'role');
        await expectInvalid(swarm.registerAgent('swarm-a', { id: 'k', role: 'w', status: 'sleeping' } as never), 'status');
        await expectCode(swarm.setAllowlist('swarm-a', ['has space']), ERROR_CODES.INVALID_ARGUMENT, /allowlist/);
        expect(await snapshot()).toEqual(before);
      });

      it('keeps every registration when 20 agents register at once', async () => {
        const agents = await Promise.all(Array.from({ length: 20 }, () => env.peer()));
        await Promise.all(agents.map((a, i) => a.registerAgent('crowd', { id: `agent-${i}`, role: 'worker' })));
        expect((await swarm.getRoster('crowd')).agents).toHaveLength(20);
      });
    });

    describe('remediation', () => {
      async function plant(): Promise<Record<string, string>> {
        await swarm.createTask({ id: 'good', description: 'x', type: 'a' });
        const planted = {
          wrongTask: keys.task('as-string'),
          noTtlTask: keys.task('forever'),
          legacyFinding: keys.finding('legacy'),
          wrongContext: keys.context('task', 'listy'),
          noTtlRegistry: keys.swarmRegistry('old'),
          foreign: keys.key('other', 'thing'),
        };
        await raw.set(planted.wrongTask, 'not a hash');
        await raw.expire(planted.wrongTask, 3_600);
        await raw.hset(planted.noTtlTask, { id: 'forever', status: 'pending', description: '', type: 'a', created_at: '0', updated_at: '0' });
        await raw.hset(planted.legacyFinding, { id: 'legacy', claim: 'c' });
        await raw.expire(planted.legacyFinding, 3_600);
        await raw.rpush(planted.wrongContext, ['a', 'b']);
        await raw.set(planted.noTtlRegistry, '{}');
        await raw.set(planted.foreign, 'x');
        return planted;
      }

      it('reports wrong types and missing TTLs, stores the report, and changes nothing without apply', async () => {
        const clock = Date.parse('2026-05-06T07:08:09Z');
        const s = await env.peer({ now: () => clock, transport: env.transport });
        const p = await plant();
        const before = await snapshot();
        const report = await s.remediate();
        expect(report).toMatchObject({ date: '2026-05-06', scan_type: 'key_hygiene', wrong_type_found: 2, missing_ttl_found: 2, applied: false, actions: [] });
        expect(report.keys_scanned).toBeGreaterThanOrEqual(8);
        const byKey = Object.fromEntries(report.violations.map((v) => [v.key, v]));
        expect(Object.keys(byKey).sort()).toEqual([p.wrongTask, p.noTtlTask, p.wrongContext, p.noTtlRegistry].sort());
        expect(byKey[p.wrongTask!]).toMatchObject({ expected_type: 'hash', actual_type: 'string', issue: 'wrong_type' });
        expect(byKey[p.wrongContext!]).toMatchObject({ expected_type: 'string', actual_type: 'list', issue: 'wrong_type' });
        expect(byKey[p.noTtlTask!]).toMatchObject({ expected_type: 'hash', actual_type: 'hash', issue: 'missing_ttl' });
        expect(byKey[p.noTtlRegistry!]).toMatchObject({ issue: 'missing_ttl' });
        // Nothing changed but the stored report.
        const reportKey = keys.remediation('2026-05-06', 'key_hygiene');
        const after = await snapshot();
        delete after[reportKey];
        expect(after).toEqual(before);
        expect(JSON.parse((await raw.get(reportKey))!)).toMatchObject({ wrong_type_found: 2, missing_ttl_found: 2 });
        expect(await raw.ttl(reportKey)).toBeGreaterThan(7 * DAY - 5);
        expect(await raw.ttl(p.noTtlTask!)).toBe(-1);
      });

      it('with apply: sets the missing TTLs and moves wrong-type keys aside to <key>:quarantine:<ts>; a rescan is clean', async () => {
        const clock = Date.parse('2026-05-06T07:08:09Z');
        const s = await env.peer({ now: () => clock, transport: env.transport, quarantineTtlSeconds: 3_600 });
        const p = await plant();
        const report = await s.remediate({ apply: true, scanType: 'nightly' });
        expect(report).toMatchObject({ scan_type: 'nightly', wrong_type_found: 2, missing_ttl_found: 2, applied: true });
        expect(report.actions).toEqual(
          expect.arrayContaining([
            { action: 'quarantine', key: p.wrongTask, to: `${p.wrongTask}:quarantine:${clock}`, result: 'done' },
            { action: 'quarantine', key: p.wrongContext, to: `${p.wrongContext}:quarantine:${clock}`, result: 'done' },
            { action: 'expire', key: p.noTtlTask, ttl_seconds: TASK_TTL_SECONDS, result: 'done' },
            { action: 'expire', key: p.noTtlRegistry, ttl_seconds: 7 * DAY, result: 'done' },
          ]),
        );
        expect(report.actions).toHaveLength(4);
        expect(await raw.exists(p.wrongTask!)).toBe(false);
        expect(await raw.get(`${p.wrongTask}:quarantine:${clock}`)).toBe('not a hash');
        const qttl = await raw.ttl(`${p.wrongTask}:quarantine:${clock}`);
        expect(qttl).toBeGreaterThan(3_500);
        expect(qttl).toBeLessThanOrEqual(3_600);
        expect(await raw.type(`${p.wrongContext}:quarantine:${clock}`)).toBe('list');
        expect(await raw.ttl(p.noTtlTask!)).toBeGreaterThan(TASK_TTL_SECONDS - 5);
        expect(await raw.ttl(p.noTtlRegistry!)).toBeGreaterThan(7 * DAY - 5);
        expect(await raw.ttl(p.foreign!)).toBe(-1);
        expect(await raw.get(keys.remediation('2026-05-06', 'nightly'))).not.toBeNull();

        const rescan = await s.remediate({ date: 'after' });
        expect(rescan).toMatchObject({ date: 'after', wrong_type_found: 0, missing_ttl_found: 0, violations: [] });
        // Listings skip what was moved aside.
        expect((await s.listTasks({ source: 'scan' })).invalid).toEqual([]);
      });

      it('refuses bad options', async () => {
        await expectInvalid(swarm.remediate({ apply: 'yes' } as never), 'apply');
        await expectInvalid(swarm.remediate({ scanType: 'a b' }), 'scanType');
      });
    });

    describe('options', () => {
      it('refuses bad options with INVALID_ARGUMENT naming them', async () => {
        await expectCode(env.peer({ conflictThreshold: 2 }), ERROR_CODES.INVALID_ARGUMENT, /conflictThreshold/);
        await expectCode(env.peer({ listLimit: 0 }), ERROR_CODES.INVALID_ARGUMENT, /listLimit/);
        await expectCode(env.peer({ escalationTopic: 'no spaces' }), ERROR_CODES.INVALID_ARGUMENT, /topic/);
        await expectCode(env.peer({ colour: 'red' } as never), ERROR_CODES.INVALID_ARGUMENT, /swarm options/);
        await expectCode(env.peer({ claimLeaseMs: 0 }), ERROR_CODES.INVALID_ARGUMENT, /claimLeaseMs/);
      });

      it('appends escalations to the partition of a partitioned topic that its consumers read', async () => {
        env.transport.defineTopic('swarm.escalations', { partitions: 4 });
        const ids: string[] = [];
        for (let i = 0; i < 8; i++) {
          await swarm.createTask({ id: `pt-${i}`, description: 'x', type: 'a' });
          ids.push((await swarm.escalate(`pt-${i}`, { agent_id: 'w', reason: 'r', priority: i % 2 === 0 ? 'high' : 'low' })).id);
        }
        const got: Envelope[] = [];
        const consumer = env.transport.consume('swarm.escalations', (e) => void got.push(e), { group: 'humans', blockMs: 50 });
        try {
          await consumer.ready();
          await vi.waitFor(() => expect(got).toHaveLength(8), { timeout: 3_000, interval: 20 });
        } finally {
          await consumer.close(0);
        }
        expect(got.map((e) => e.id).sort()).toEqual(ids.sort());
      });

      it('publishes escalations to the configured topic and recipient', async () => {
        const s = await env.peer({ escalationTopic: 'ops.help', escalationRecipient: 'oncall', transport: env.transport });
        await s.createTask({ id: 'o1', description: 'x', type: 'a' });
        const r = await s.escalate('o1', { agent_id: 'w', reason: 'r', priority: 'urgent' });
        expect(r.topic).toBe('ops.help');
        expect((await env.transport.stats('ops.help')).length).toBe(1);
      });
    });
  });
}
