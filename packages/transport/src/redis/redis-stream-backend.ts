import type { Cluster, Redis } from 'ioredis';
import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import type {
  AddOutcome,
  AddRequest,
  ClaimPage,
  LaneReadRequest,
  LaneReadResult,
  MembershipBackend,
  WaitRequest,
  ReadRequest,
  ReadResult,
  StreamBackend,
} from '../internal/stream-backend';
import type { GroupInfo, HealthReport, LaneStats, RetentionPolicy, TrimResult } from '../types';
import { DEFAULT_REDIS_CONNECTION_OPTIONS, type RedisClient } from './connection';
import { toAgentbusError } from './redis-errors';
import { PUBLISH_BACKPRESSURE, PUBLISH_DUPLICATE, READ_EMPTY, READ_FENCED, type ReadLanesReply } from './scripts';
import { readHealth } from './health';
import { presentLag } from '../internal/stream-id';
import { entryOf } from './stream-reply';
import { createUnfencedLaneReader } from './unfenced-lane-reader';
import { redisTrim } from './redis-trim';

type StreamReply = Array<[string, Array<[string, string[] | null]>]> | null;


function flatToRecord(flat: unknown[]): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  for (let i = 0; i < flat.length; i += 2) r[String(flat[i])] = flat[i + 1];
  return r;
}

/** Most ids one lease script call checks. */
const LEASE_SLICE = 500;

function isFast(req: AddRequest): boolean {
  return !(req.dedupeWindowMs && req.dedupeWindowMs > 0) && !(req.maxBacklog && req.maxBacklog > 0);
}

/** The stream primitives over ioredis: plain commands on the hot path, Lua where it must be atomic. */
export function createRedisStreamBackend(
  client: RedisClient,
  where: string,
  healthTimeoutMs: number = DEFAULT_REDIS_CONNECTION_OPTIONS.healthTimeoutMs,
): StreamBackend & MembershipBackend {
  const readers = new Map<string, RedisClient>();
  const isCluster = (client as Cluster).isCluster === true;
  let closed = false;

  const fail = (error: unknown): never => {
    throw toAgentbusError(error, where);
  };

  function outcome(reply: [number, string | number]): AddOutcome {
    const [code, value] = reply;
    if (code === PUBLISH_DUPLICATE) return { kind: 'duplicate', streamId: String(value) };
    if (code === PUBLISH_BACKPRESSURE) return { kind: 'backpressure', length: Number(value) };
    return { kind: 'added', streamId: String(value) };
  }

  /**
   * A write's failure as the caller should read it. A write issued while connected went out on
   * the socket: when the connection then drops, Redis may have run it before the reply was lost,
   * so "connection failed" would read as "not written" and a retry could double it.
   */
  const writeFailure = (error: unknown, sentConnected: boolean): never => {
    const e = toAgentbusError(error, where);
    if (!sentConnected || e.code !== ERROR_CODES.CONNECTION_FAILED || closed) throw e;
    throw new AgentbusError(
      ERROR_CODES.INDETERMINATE,
      `the connection to ${where} dropped after a publish was sent and before its answer: it may or may not have been written. Publish it again unchanged (it dedupes by envelope id within dedupeWindowMs), or raise maxRetriesPerRequest to let ioredis re-send it`,
      { cause: e },
    );
  };

  async function add(req: AddRequest): Promise<AddOutcome> {
    const sentConnected = client.status === 'ready';
    try {
      if (isFast(req)) {
        const id = req.headers
          ? await client.xadd(req.stream, '*', 'env', req.raw, 'hdr', req.headers)
          : await client.xadd(req.stream, '*', 'env', req.raw);
        return { kind: 'added', streamId: id as string };
      }
      const budget = req.maxBacklog && req.maxBacklog > 0 ? (req.budgetStreams ?? [req.stream]) : [];
      if (req.dedupeWindowMs && req.dedupeWindowMs > 0 && !req.dedupeKey) {
        throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, 'add: a dedupe window needs a dedupeKey');
      }
      // An unused dedupe key still has to be a key of the stream's slot.
      const keys = [req.stream, req.dedupeKey ?? req.stream, ...budget];
      const reply = await client.agentbus_publish_v1(
        keys.length,
        ...keys,
        req.raw,
        String(req.dedupeWindowMs ?? 0),
        String(req.maxBacklog ?? 0),
        req.headers ?? '',
      );
      return outcome(reply);
    } catch (error) {
      return writeFailure(error, sentConnected);
    }
  }

  async function deliveryCounts(stream: string, group: string, ids: readonly string[]): Promise<Map<string, number>> {
    // One exact XPENDING per id (auto-pipelined): a range query could miss ids among others'.
    const counts = new Map<string, number>();
    try {
      const rows = await Promise.all(
        ids.map((id) => client.call('XPENDING', stream, group, id, id, 1) as Promise<Array<[string, string, number, number]>>),
      );
      for (const r of rows) if (r[0]) counts.set(r[0][0], Number(r[0][3]));
    } catch (error) {
      fail(error);
    }
    return counts;
  }

  function readerFor(key: string | undefined): RedisClient {
    const k = key ?? '';
    let r = readers.get(k);
    if (!r) {
      // A blocking XREADGROUP holds its connection: each reader gets its own.
      r = (client as Redis).duplicate() as RedisClient;
      r.on('error', () => undefined);
      readers.set(k, r);
    }
    return r;
  }

  function releaseReader(key: string): void {
    unfenced.forget(key);
    const r = readers.get(key);
    if (r) {
      readers.delete(key);
      r.disconnect();
    }
  }

  async function read(req: ReadRequest): Promise<ReadResult[]> {
    if (closed) throw new AgentbusError(ERROR_CODES.CLOSED, 'transport closed');
    if (req.signal?.aborted) return [];
    const args: (string | number)[] = ['GROUP', req.group, req.consumer, 'COUNT', req.count];
    const blocking = req.blockMs > 0;
    if (blocking) args.push('BLOCK', req.blockMs);
    args.push('STREAMS', ...req.streams, ...req.ids);
    const conn = blocking ? readerFor(req.readerKey) : client;
    const onAbort = () => {
      if (req.readerKey !== undefined) releaseReader(req.readerKey);
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });
    let reply: StreamReply;
    try {
      reply = (await (conn as Redis).call('XREADGROUP', ...args)) as StreamReply;
    } catch (error) {
      if (req.signal?.aborted) return [];
      return fail(error);
    } finally {
      req.signal?.removeEventListener('abort', onAbort);
    }
    if (!reply) return [];
    return reply.map(([stream, items]) => ({ stream, entries: items.map(entryOf) }));
  }

  const unfenced = createUnfencedLaneReader(client, fail, (req) => read(req));

  return {
    add,

    async addBatch(reqs) {
      if (isCluster || !reqs.every(isFast)) {
        // Auto-pipelining sends these in one round trip (per node in a cluster).
        return Promise.all(reqs.map(add));
      }
      // The common case, plain XADDs on one server: one explicit pipeline, no promise per entry.
      const pipeline = (client as Redis).pipeline();
      for (const r of reqs) {
        if (r.headers) pipeline.xadd(r.stream, '*', 'env', r.raw, 'hdr', r.headers);
        else pipeline.xadd(r.stream, '*', 'env', r.raw);
      }
      const sentConnected = client.status === 'ready';
      const replies = await pipeline.exec().catch((error: unknown) => writeFailure(error, sentConnected));
      const outcomes: AddOutcome[] = new Array(reqs.length);
      for (let i = 0; i < reqs.length; i++) {
        const [error, id] = replies![i]!;
        if (error) writeFailure(error, sentConnected);
        outcomes[i] = { kind: 'added', streamId: id as string };
      }
      return outcomes;
    },

    async ensureGroup(stream, group, startId) {
      try {
        await client.xgroup('CREATE', stream, group, startId, 'MKSTREAM');
      } catch (error) {
        if (error instanceof Error && error.message.startsWith('BUSYGROUP')) return;
        fail(error);
      }
    },

    read,

    async ack(group, acks) {
      const calls: Promise<unknown>[] = [];
      for (const [stream, ids] of acks) {
        if (ids.length > 0) calls.push(client.xack(stream, group, ...ids));
      }
      try {
        await Promise.all(calls);
      } catch (error) {
        fail(error);
      }
    },

    async readLanes(req: LaneReadRequest): Promise<LaneReadResult> {
      if (closed) throw new AgentbusError(ERROR_CODES.CLOSED, 'transport closed');
      if (!req.fence) return unfenced.read(req);
      const keys = req.fence ? [...req.streams, req.fence.key] : [...req.streams];
      let reply: ReadLanesReply;
      try {
        reply = await client.agentbus_read_lanes_v1(
          keys.length, ...keys, req.group, req.consumer, req.budget, req.fence?.token ?? '', ...req.weights,
        );
      } catch (error) {
        return fail(error);
      }
      const code = reply[0];
      if (code === READ_FENCED) return { kind: 'fenced' };
      if (code === READ_EMPTY) return { kind: 'empty', lastIds: reply.slice(1).map(String) };
      const results: ReadResult[] = [];
      for (let i = 0; i < req.streams.length; i++) {
        const items = reply[i + 1] as Array<[string, string[] | null]>;
        if (items.length > 0) results.push({ stream: req.streams[i]!, entries: items.map(entryOf) });
      }
      return { kind: 'entries', results };
    },

    async waitForEntries(req: WaitRequest): Promise<void> {
      if (closed) throw new AgentbusError(ERROR_CODES.CLOSED, 'transport closed');
      if (req.signal?.aborted) return;
      const conn = readerFor(req.readerKey);
      const onAbort = () => {
        if (req.readerKey !== undefined) releaseReader(req.readerKey);
      };
      req.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        // COUNT 1: the entry itself is read again, fenced, by readLanes; this only waits.
        await (conn as Redis).call('XREAD', 'COUNT', 1, 'BLOCK', req.blockMs, 'STREAMS', ...req.streams, ...req.after);
      } catch (error) {
        if (req.signal?.aborted) return;
        fail(error);
      } finally {
        req.signal?.removeEventListener('abort', onAbort);
      }
    },

    async lease(stream, group, consumer, ids, mode) {
      const lost: string[] = [];
      try {
        // Sliced so one script call stays short whatever a consumer holds.
        for (let i = 0; i < ids.length; i += LEASE_SLICE) {
          lost.push(...(await client.agentbus_lease_renew_v1(stream, group, consumer, mode, ...ids.slice(i, i + LEASE_SLICE))));
        }
      } catch (error) {
        fail(error);
      }
      return lost;
    },

    async claim(stream, group, consumer, minIdleMs, count, cursor): Promise<ClaimPage> {
      try {
        const reply = (await client.call(
          'XAUTOCLAIM', stream, group, consumer, minIdleMs, cursor, 'COUNT', count,
        )) as [string, Array<[string, string[] | null] | null>, string[]?];
        // Redis 7 drops entries deleted while pending from the PEL and lists their ids; Redis 6.2
        // claims them with nil fields and leaves them pending, so they are acked here.
        const deleted = [...(reply[2] ?? [])];
        const nilIds = reply[1].filter((e) => e && e[1] === null).map((e) => e![0]);
        if (nilIds.length > 0) {
          await client.xack(stream, group, ...nilIds);
          deleted.push(...nilIds);
        }
        const entries = reply[1].filter((e): e is [string, string[]] => !!e && e[1] !== null).map(entryOf);
        if (entries.length === 0) return { entries: [], next: String(reply[0]), deleted };
        const counts = await deliveryCounts(stream, group, entries.map((e) => e.id));
        return {
          entries: entries.map((e) => ({ ...e, deliveryCount: counts.get(e.id) ?? 1 })),
          next: String(reply[0]),
          deleted,
        };
      } catch (error) {
        return fail(error);
      }
    },

    async takeOver(stream, group, consumer, cursor, count) {
      try {
        const reply = (await client.call(
          'XAUTOCLAIM', stream, group, consumer, 0, cursor, 'COUNT', count, 'JUSTID',
        )) as [string, string[]];
        return { next: String(reply[0]), moved: reply[1].length };
      } catch (error) {
        return fail(error);
      }
    },

    deliveryCounts,

    async reap(stream, group, idleMs, keep = '') {
      try {
        return await client.agentbus_reap_v1(stream, group, idleMs, keep);
      } catch (error) {
        return fail(error);
      }
    },

    async info(stream): Promise<Omit<LaneStats, 'lane'>> {
      const empty = { stream, length: 0, firstId: null, lastId: null, groups: [] };
      let s: Record<string, unknown>;
      try {
        s = flatToRecord((await client.call('XINFO', 'STREAM', stream)) as unknown[]);
      } catch (error) {
        if (error instanceof Error && /no such key/i.test(error.message)) return empty;
        return fail(error);
      }
      const first = s['first-entry'] as [string, unknown] | null;
      const last = s['last-entry'] as [string, unknown] | null;
      const groupsRaw = ((await client.call('XINFO', 'GROUPS', stream)) as unknown[][]).map(flatToRecord);
      const consumersRaw = await Promise.all(
        groupsRaw.map((g) => client.call('XINFO', 'CONSUMERS', stream, String(g.name)) as Promise<unknown[][]>),
      );
      const extent = { length: Number(s.length), firstId: first ? first[0] : null, lastId: last ? last[0] : null };
      const groups: GroupInfo[] = groupsRaw.map((g, i) => ({
        name: String(g.name),
        pending: Number(g.pending),
        lag: presentLag(g.lag === undefined || g.lag === null ? null : Number(g.lag), String(g['last-delivered-id']), extent),
        lastDeliveredId: String(g['last-delivered-id']),
        consumers: consumersRaw[i]!.map(flatToRecord).map((c) => ({
          name: String(c.name),
          pending: Number(c.pending),
          idleMs: Number(c.idle),
        })),
      }));
      return { stream, ...extent, groups };
    },

    async trim(stream, policy: RetentionPolicy, now, droppedKey): Promise<TrimResult> {
      try {
        return await redisTrim(client, stream, droppedKey, policy, now);
      } catch (error) {
        return fail(error);
      }
    },

    async dropped(droppedKey) {
      try {
        return Number((await client.get(droppedKey)) ?? 0);
      } catch (error) {
        return fail(error);
      }
    },

    async heartbeat(key, member, ttlMs) {
      try {
        return [...(await client.agentbus_membership_v1(key, member, ttlMs))].sort();
      } catch (error) {
        return fail(error);
      }
    },

    async acquireLease(key, token, ttlMs) {
      try {
        return (await client.agentbus_partition_lease_v1(key, token, 'acquire', ttlMs)) === 1;
      } catch (error) {
        return fail(error);
      }
    },

    async releaseLease(key, token) {
      try {
        await client.agentbus_partition_lease_v1(key, token, 'release', 0);
      } catch {
        // Best effort: a lease not released expires after its ttl.
      }
    },

    async leave(key, member) {
      try {
        await client.zrem(key, member);
      } catch {
        // Best effort: a member that did not leave expires after its ttl.
      }
    },

    health(): Promise<HealthReport> {
      return readHealth(client, where, healthTimeoutMs);
    },

    releaseReader,

    async close() {
      closed = true;
      for (const key of [...readers.keys()]) releaseReader(key);
    },

    async tryLock(key, token, ttlMs) {
      try {
        return (await client.set(key, token, 'PX', ttlMs, 'NX')) === 'OK';
      } catch (error) {
        return fail(error);
      }
    },
  };
}


export type { Cluster };
