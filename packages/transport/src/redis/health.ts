import type { Cluster, Redis } from 'ioredis';
import type { HealthReport } from '../types';
import type { RedisClient } from './connection';
import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import { toAgentbusError } from './redis-errors';

function infoField(info: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:(.*)$`, 'm').exec(info);
  return m?.[1]?.trim();
}

/** PING plus an INFO summary: version, memory, clients, role. Never throws; answers within `timeoutMs`. */
export async function readHealth(client: RedisClient, where: string, timeoutMs: number): Promise<HealthReport> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AgentbusError(ERROR_CODES.TIMEOUT, `${where} did not answer PING and INFO within ${timeoutMs} ms (healthTimeoutMs)`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([probe(client, started), timedOut]);
  } catch (error) {
    return {
      ok: false,
      backend: 'redis',
      latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
      error: toAgentbusError(error, where).message,
    };
  } finally {
    clearTimeout(timer);
  }
}

async function probe(client: RedisClient, started: number): Promise<HealthReport> {
  const isCluster = (client as Cluster).isCluster === true;
  await client.ping();
  const latencyMs = performance.now() - started;
  const node: Redis = isCluster ? (client as Cluster).nodes('master')[0]! : (client as Redis);
  const info = await node.info();
  const num = (name: string) => {
    const v = infoField(info, name);
    return v === undefined ? undefined : Number(v);
  };
  const report: HealthReport = {
    ok: true,
    backend: 'redis',
    latencyMs: Math.round(latencyMs * 1000) / 1000,
    mode: isCluster ? 'cluster' : 'standalone',
  };
  const version = infoField(info, 'redis_version');
  if (version) report.version = version;
  const role = infoField(info, 'role');
  if (role) report.role = role;
  const used = num('used_memory');
  if (used !== undefined) report.usedMemoryBytes = used;
  const max = num('maxmemory');
  if (max !== undefined) report.maxMemoryBytes = max;
  const clients = num('connected_clients');
  if (clients !== undefined) report.connectedClients = clients;
  return report;
}
