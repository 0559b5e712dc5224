import { randomBytes } from 'node:crypto';
import { createEnvelope, PRIORITIES, TOPIC_KEY_KINDS } from '@agentbus/schema';
import type { DirectBus } from '../connection';
import { GLOBAL_HELP, parseCommandArgs } from '../args';
import { brokerClientOf, withDirect } from '../connection';
import type { CliCommand } from '../command';
import type { CliIo } from '../cli-io';
import { json } from '../format';
import { parseRedisInfo } from '../../health/redis-info';

export type CheckLevel = 'ok' | 'warn' | 'fail';
export interface Check {
  level: CheckLevel;
  name: string;
  detail: string;
}

const USAGE = `usage: agentbus smoke [--redis URL | --broker URL]

Checks that the bus works, end to end, and prints diagnostics:
  Redis    PING and its latency; version (>= 6.2 needed: XAUTOCLAIM); role; memory and
           maxmemory-policy (noeviction keeps streams from being evicted); AOF (durability);
           a message published to a scratch topic, read by a consumer group and acked; a Pub/Sub
           round trip. The scratch keys are deleted afterwards.
  --broker /health and /health/ready of the broker.
Exits 1 when a check fails (warnings do not fail).

${GLOBAL_HELP}`;

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split('.').map(Number);
  return a > major || (a === major && b >= minor);
}

async function withTimeout<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** The Redis checks of `agentbus smoke`. */
export async function smokeDirect(bus: DirectBus, timeoutMs: number): Promise<Check[]> {
  const checks: Check[] = [];
  const started = performance.now();
  await bus.redis.ping();
  checks.push({ level: 'ok', name: 'ping', detail: `${bus.target} answers PING in ${(performance.now() - started).toFixed(1)} ms` });
  const info = parseRedisInfo(await bus.redis.info());
  const version = info.server?.redis_version ?? 'unknown';
  checks.push(
    versionAtLeast(version, 6, 2)
      ? { level: 'ok', name: 'version', detail: `Redis ${version} (>= 6.2)` }
      : { level: 'fail', name: 'version', detail: `Redis ${version} is older than 6.2: XAUTOCLAIM and XPENDING IDLE are missing; upgrade` },
  );
  checks.push({ level: 'ok', name: 'role', detail: `${info.replication?.role ?? 'unknown'}, ${info.clients?.connected_clients ?? '?'} clients` });
  const policy = info.memory?.maxmemory_policy ?? 'unknown';
  const used = info.memory?.used_memory_human ?? '?';
  const max = Number(info.memory?.maxmemory ?? 0);
  checks.push(
    policy === 'noeviction' || policy === 'unknown'
      ? { level: 'ok', name: 'memory', detail: `${used} used, maxmemory ${max > 0 ? info.memory?.maxmemory_human : 'unlimited'}, policy ${policy}` }
      : { level: 'warn', name: 'memory', detail: `maxmemory-policy is ${policy}: Redis may evict stream and dedupe keys under memory pressure; use noeviction (agentbus applies back-pressure instead)` },
  );
  const aof = info.persistence?.aof_enabled === '1';
  checks.push(
    aof
      ? { level: 'ok', name: 'durability', detail: 'AOF on (appendfsync decides how much a hard crash can lose: always = nothing acked, everysec = up to 1 s)' }
      : { level: 'warn', name: 'durability', detail: 'AOF off: a Redis crash loses what was written since the last RDB snapshot; set appendonly yes' },
  );

  const topic = `agentbus.smoke.${randomBytes(4).toString('hex')}`;
  try {
    const env = createEnvelope({ type: 'agentbus.smoke', from: 'agentbus-cli', payload: { at: Date.now() } });
    const t0 = performance.now();
    let resolveHandled: (streamId: string) => void = () => undefined;
    const handled = new Promise<string>((resolve) => (resolveHandled = resolve));
    const consumer = bus.transport.consume(topic, (e, ctx) => {
      if (e.id === env.id) resolveHandled(ctx.streamId);
    }, { group: 'smoke', consumer: 'smoke', blockMs: 100, claimIntervalMs: 60_000 });
    await consumer.ready();
    await bus.transport.publish(topic, env);
    await withTimeout(timeoutMs, 'stream round trip', handled);
    await consumer.close(timeoutMs);
    const stats = await bus.transport.stats(topic);
    const pending = stats.groups.reduce((n, g) => n + g.pending, 0);
    checks.push(
      pending === 0
        ? { level: 'ok', name: 'streams', detail: `published, consumed by a group and acked in ${(performance.now() - t0).toFixed(1)} ms` }
        : { level: 'fail', name: 'streams', detail: `consumed, but ${pending} entries are still pending after the ack` },
    );
  } catch (error) {
    checks.push({ level: 'fail', name: 'streams', detail: `stream round trip failed: ${(error as Error).message}` });
  } finally {
    const keys = bus.transport.keys;
    await bus.redis.del(...TOPIC_KEY_KINDS.map((k) => keys.topic(topic, k)), ...PRIORITIES.map((p) => keys.lane(topic, p)));
  }

  try {
    const channel = `agentbus.smoke.${randomBytes(4).toString('hex')}`;
    const t0 = performance.now();
    let got: () => void = () => undefined;
    const received = new Promise<void>((resolve) => (got = resolve));
    const sub = bus.transport.pubsub.subscribe(channel, () => got());
    await withTimeout(timeoutMs, 'subscribe', sub.ready());
    await bus.transport.pubsub.publish(channel, createEnvelope({ type: 'agentbus.smoke', from: 'agentbus-cli', payload: null }));
    await withTimeout(timeoutMs, 'Pub/Sub round trip', received);
    await sub.unsubscribe();
    checks.push({ level: 'ok', name: 'pubsub', detail: `published and received in ${(performance.now() - t0).toFixed(1)} ms` });
  } catch (error) {
    checks.push({ level: 'fail', name: 'pubsub', detail: `Pub/Sub round trip failed: ${(error as Error).message}` });
  }
  return checks;
}

function print(io: CliIo, asJson: boolean, target: string, checks: readonly Check[]): number {
  const ok = checks.every((c) => c.level !== 'fail');
  if (asJson) io.stdout.write(json({ ok, target, checks }));
  else {
    for (const c of checks) io.stdout.write(`${c.level.toUpperCase().padEnd(4)}  ${c.name.padEnd(10)}  ${c.detail}\n`);
    io.stdout.write(ok ? `smoke test passed against ${target}\n` : '');
  }
  if (!ok) io.stderr.write(`agentbus smoke: ${checks.find((c) => c.level === 'fail')!.detail}\n`);
  return ok ? 0 : 1;
}

export const smokeCommand: CliCommand = {
  name: 'smoke',
  summary: 'PING and diagnostics: version, memory policy, AOF, a stream and a Pub/Sub round trip',
  usage: USAGE,
  async run(argv, io) {
    const args = parseCommandArgs('smoke', argv, {}, io.env);
    if (args.values.help) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const g = args.global;
    const client = brokerClientOf(g);
    if (client) {
      const live = await client.health.live();
      const ready = await client.health.ready();
      const checks: Check[] = [
        { level: 'ok', name: 'broker', detail: `${client.baseUrl} is up (${live.uptimeSeconds} s)` },
        ready.status === 'ready'
          ? { level: 'ok', name: 'backend', detail: `${ready.backend} answers in ${ready.latencyMs} ms` }
          : { level: 'fail', name: 'backend', detail: `the broker's ${ready.backend} backend does not answer: ${ready.error ?? 'unknown'}` },
      ];
      return print(io, g.json, client.baseUrl, checks);
    }
    return withDirect(g, async (bus) => print(io, g.json, bus.target, await smokeDirect(bus, g.timeoutMs)));
  },
};
