import { isAgentbusError, ERROR_CODES, type Task } from '@agentbus/schema';
import type { Swarm } from '@agentbus/swarm';
import { badRequest, forbidden } from '../http/http-error';
import type { Principal } from './principal';

/** Whether `name` matches one of the patterns: exact, `*`, or a prefix ending in `*`. */
export function matchesPattern(patterns: readonly string[], name: string): boolean {
  return patterns.some((p) => p === '*' || p === name || (p.endsWith('*') && name.startsWith(p.slice(0, -1))));
}

/** The swarm a task is filed under: `data.swarm`, else the default swarm (tasks other programs wrote). */
export function swarmOfTask(task: Task, defaultSwarm: string): string {
  const s = task.data.swarm;
  return typeof s === 'string' && s !== '' ? s : defaultSwarm;
}

/** The authorization checks of the routes; each throws a 403 HttpError with a reason, or returns. */
export interface Access {
  readonly defaultSwarm: string;
  /** The principal's home swarm (its first), the default swarm of its calls. */
  homeSwarm(p: Principal): string;
  /** A token acts only as its own agent: `named` (an envelope's from, a body's agent_id) must be it. */
  actAs(p: Principal, named: string | undefined, where: string): string;
  topic(p: Principal, topic: string): void;
  channel(p: Principal, channel: string): void;
  admin(p: Principal, what: string): void;
  /** Whether /health/comprehensive and /metrics show the principal this topic: one it may use, or any to an admin. */
  seesTopic(p: Principal, topic: string): boolean;
  /** A listing that SCANs the whole keyspace (`source: 'scan'`) costs Redis per key of every tenant: admin only. */
  listSource(p: Principal, source: 'index' | 'scan' | undefined): void;
  /** Writes go to the principal's own swarms only. */
  swarmWrite(p: Principal, swarmId: string): void;
  /** Reads: its own swarms, or one whose registry allowlist names one of them (`swarm.canRead`). */
  swarmRead(p: Principal, swarmId: string): Promise<void>;
  /** The swarm of a task (a missing task counts as the default swarm's). */
  swarmOfTaskId(taskId: string): Promise<string>;
}

export function createAccess(swarm: Swarm, defaultSwarm: string): Access {
  const admin = (p: Principal, what: string) => {
    if (!p.admin) throw forbidden(`${what} needs an admin token; token ${p.label} (agent ${p.agent}) is not one`);
  };
  return {
    defaultSwarm,
    homeSwarm: (p) => p.swarms[0] ?? defaultSwarm,
    actAs(p, named, where) {
      if (p.dev) {
        if (named === undefined) throw badRequest(`${where} is required when the broker runs without auth: name the agent`, where);
        return named;
      }
      if (named !== undefined && named !== p.agent) {
        throw forbidden(`token ${p.label} acts as agent ${p.agent} only, but ${where} is ${named}`);
      }
      return p.agent!;
    },
    topic(p, topic) {
      if (!p.dev && !matchesPattern(p.topics, topic)) {
        throw forbidden(`token ${p.label} (agent ${p.agent}) may not use topic ${topic}: its topics are ${p.topics.join(', ') || 'none'}`);
      }
    },
    channel(p, channel) {
      if (!p.dev && !matchesPattern(p.channels, channel)) {
        throw forbidden(`token ${p.label} (agent ${p.agent}) may not publish to channel ${channel}: its channels are ${p.channels.join(', ') || 'none'}`);
      }
    },
    admin,
    seesTopic: (p, topic) => p.dev || p.admin || matchesPattern(p.topics, topic),
    listSource(p, source) {
      if (source === 'scan') admin(p, 'source=scan (a SCAN of the whole keyspace, not the swarm\'s index)');
    },
    swarmWrite(p, swarmId) {
      if (!p.dev && !p.swarms.includes(swarmId)) {
        throw forbidden(`token ${p.label} (agent ${p.agent}) belongs to swarm ${p.swarms.join(', ')}, not ${swarmId}: it cannot change ${swarmId}'s data`);
      }
    },
    async swarmRead(p, swarmId) {
      if (p.dev || p.swarms.includes(swarmId)) return;
      for (const own of p.swarms) if (await swarm.canRead(own, swarmId)) return;
      throw forbidden(
        `swarm ${p.swarms.join(', ')} may not read swarm ${swarmId}: ${swarmId}'s registry allowlist does not name it (PUT /v1/swarm/registries/${swarmId}/allowlist)`,
      );
    },
    async swarmOfTaskId(taskId) {
      try {
        return swarmOfTask(await swarm.getTask(taskId), defaultSwarm);
      } catch (error) {
        if (isAgentbusError(error) && error.code === ERROR_CODES.NOT_FOUND) return defaultSwarm;
        throw error;
      }
    },
  };
}
