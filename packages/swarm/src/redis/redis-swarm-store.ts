import type { Redis } from 'ioredis';
import { AgentbusError, ERROR_CODES, TASK_STATUSES } from '@agentbus/schema';
import { toAgentbusError } from '@agentbus/transport';
import { fieldsOf, flatten } from '../internal/flat';
import type {
  EscalationOutcome,
  IndexEntry,
  KeyInfo,
  StoredValue,
  SwarmStore,
  TaskEscalation,
  TaskIndexKeys,
  TaskTransition,
  TransitionOutcome,
} from '../internal/swarm-store';
import { defineSwarmScripts, TRANSITION_CODES, type ScriptReply } from './scripts';

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toAgentbusError(error);
  }
}

function unexpected(what: string, reply: unknown): AgentbusError {
  return new AgentbusError(ERROR_CODES.INTERNAL, `${what} answered ${JSON.stringify(reply)}: a script of another version on this Redis?`);
}

function storedValue(reply: ScriptReply[]): StoredValue {
  const [type, value] = reply;
  if (type === 'none') return { type: 'none' };
  if (type === 'string' && typeof value === 'string') return { type, value };
  if (type === 'hash' && Array.isArray(value)) return { type, value: fieldsOf(value) };
  return { type: 'other', actualType: String(type) };
}

function transitionSpec(t: TaskTransition, reindex: boolean): string {
  return JSON.stringify({
    id: t.id,
    statuses: TASK_STATUSES,
    from: t.from,
    guards: t.guards,
    ...(t.already ? { already: t.already } : {}),
    set: t.set,
    unset: t.unset ?? [],
    ttl: t.ttlSeconds,
    score: t.score,
    indexTtl: t.indexTtlSeconds,
    ...(t.reclaimBefore === undefined ? {} : { reclaim: t.reclaimBefore }),
    ...(t.leaseScore === undefined ? {} : { leaseScore: t.leaseScore }),
    reindex,
  });
}

function escalationSpec(e: TaskEscalation): string {
  return JSON.stringify({
    id: e.id,
    statuses: TASK_STATUSES,
    expected: e.expected,
    set: e.set,
    ttl: e.ttlSeconds,
    score: e.score,
    indexTtl: e.indexTtlSeconds,
  });
}

/** The one place script codes become outcomes; task-ops turns outcomes into typed errors. */
function outcome(reply: ScriptReply[]): TransitionOutcome {
  const [code, payload] = reply;
  const fields = Array.isArray(payload) ? fieldsOf(payload) : {};
  switch (code) {
    case TRANSITION_CODES.applied:
    case TRANSITION_CODES.reindexed:
      return { kind: 'applied', fields };
    case TRANSITION_CODES.already:
      return { kind: 'already', fields };
    case TRANSITION_CODES.status:
      return { kind: 'status', fields };
    case TRANSITION_CODES.guard:
      return { kind: 'guard', fields };
    case TRANSITION_CODES.missing:
      return { kind: 'missing' };
    case TRANSITION_CODES.wrongtype:
      return { kind: 'wrongtype', actualType: String(payload) };
    default:
      throw unexpected('agentbus_swarm_task_transition_v2', reply);
  }
}

function escalationOutcome(reply: ScriptReply[]): EscalationOutcome {
  const [code, streamId, fields] = reply;
  switch (code) {
    case TRANSITION_CODES.applied:
      if (typeof streamId === 'string' && Array.isArray(fields)) return { kind: 'applied', streamId, fields: fieldsOf(fields) };
      break;
    case TRANSITION_CODES.changed:
      return { kind: 'changed' };
    case TRANSITION_CODES.missing:
      return { kind: 'missing' };
    case TRANSITION_CODES.wrongtype:
      return { kind: 'wrongtype', actualType: String(streamId) };
  }
  throw unexpected('agentbus_swarm_escalate_v1', reply);
}

/**
 * The swarm's data on Redis. Every multi-step change is one Lua script; a task and its index
 * entries (and, for an escalation, its stream entry) change together. Standalone and Sentinel
 * Redis: the keys a script touches (a task, its indexes, the escalations stream) are in different
 * Cluster slots by their Python-compatible names.
 */
export function createRedisSwarmStore(client: Redis): SwarmStore {
  defineSwarmScripts(client);
  const indexKeysOf = (t: TaskIndexKeys) => [t.key, ...TASK_STATUSES.map((s) => t.indexKeys[s]), t.leaseKey];
  const transition = (t: TaskTransition, reindex: boolean) =>
    call(async () => {
      const keys = indexKeysOf(t);
      return outcome(await client.agentbus_swarm_task_transition_v2(keys.length, ...keys, transitionSpec(t, reindex)));
    });
  const create = (key: string, kind: 'hash' | 'string', ttl: number, values: string[], index?: IndexEntry) =>
    call(async () => {
      const keys = index ? [key, index.key] : [key];
      const args = [kind, String(ttl), index?.member ?? '', String(index?.score ?? 0), String(index?.ttlSeconds ?? 0), ...values];
      return (await client.agentbus_swarm_create_v2(keys.length, ...keys, ...args)) === 1;
    });

  return {
    backend: 'redis',
    read: (key) => call(async () => storedValue(await client.agentbus_swarm_read_v1(key))),
    readMany: (keys) =>
      call(async () => (await Promise.all(keys.map((k) => client.agentbus_swarm_read_v1(k)))).map(storedValue)),
    createHash: (key, fields, ttl, index) => create(key, 'hash', ttl, flatten(fields), index),
    createString: (key, value, ttl, index) => create(key, 'string', ttl, [value], index),
    putString: (key, value, ttl) =>
      call(async () => {
        await client.set(key, value, 'EX', ttl);
      }),
    compareAndSet: (key, expected, value, ttl) =>
      call(async () => {
        if (expected.type === 'other') return false;
        const before = expected.type === 'string' ? [expected.value] : expected.type === 'hash' ? flatten(expected.value) : [];
        return (await client.agentbus_swarm_cas_v1(key, expected.type, value, ttl, ...before)) === 1;
      }),
    transitionTask: (t) => transition(t, false),
    escalateTask: (e) =>
      call(async () => {
        const keys = [...indexKeysOf(e), e.stream];
        return escalationOutcome(await client.agentbus_swarm_escalate_v1(keys.length, ...keys, escalationSpec(e), e.entry));
      }),
    reindexTask: async (t) => {
      await transition({ ...t, from: [], guards: {}, set: {}, ttlSeconds: 0 }, true);
    },
    indexRange: (key, offset, count) => call(() => client.zrange(key, String(offset), String(offset + count - 1))),
    indexRangeUpTo: (key, maxScore, offset, count) => call(() => client.zrangebyscore(key, '-inf', maxScore, 'LIMIT', offset, count)),
    indexRemove: (key, members) =>
      call(async () => {
        if (members.length > 0) await client.zrem(key, ...members);
      }),
    scan: (pattern, count) => scanKeys(client, pattern, count),
    inspect: (keys) =>
      call(async () => {
        if (keys.length === 0) return [];
        const pipeline = client.pipeline();
        for (const k of keys) pipeline.type(k).ttl(k);
        const replies = (await pipeline.exec()) ?? [];
        const infos: KeyInfo[] = [];
        for (let i = 0; i < keys.length; i++) {
          const [typeErr, type] = replies[2 * i] ?? [null, 'none'];
          const [ttlErr, ttl] = replies[2 * i + 1] ?? [null, -2];
          if (typeErr) throw typeErr;
          if (ttlErr) throw ttlErr;
          infos.push({ type: String(type), ttl: Number(ttl) });
        }
        return infos;
      }),
    expireIfPersistent: (key, type, ttl) =>
      call(async () => (await client.agentbus_swarm_remediate_v1(key, key, 'expire', type, ttl)) === 1),
    quarantine: (key, type, to, ttl) =>
      call(async () => (await client.agentbus_swarm_remediate_v1(key, to, 'quarantine', type, ttl)) === 1),
  };
}

async function* scanKeys(client: Redis, pattern: string, count: number): AsyncIterable<string[]> {
  let cursor = '0';
  do {
    const [next, keys] = await call(() => client.scan(cursor, 'MATCH', pattern, 'COUNT', count));
    cursor = next;
    if (keys.length > 0) yield keys;
  } while (cursor !== '0');
}

