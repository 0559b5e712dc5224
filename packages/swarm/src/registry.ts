import { AGENT_STATUSES, SwarmRegistryModel, type AgentStatus, type SwarmAgent, type SwarmRegistry } from '@agentbus/schema';
import { z } from 'zod';
import { notFound } from './errors';
import { agentIdSchema, allowlistSchema, recordIdSchema, registerAgentInputSchema, type RegisterAgentInput } from './inputs';
import { parseArgument, parseInput } from './internal/parse';
import { decodeOrThrow, decodeStored, type RecordReader } from './internal/records';
import type { SwarmContext } from './internal/swarm-context';
import { updateRecord } from './internal/update-record';

const REGISTRY_READER: RecordReader<SwarmRegistry> = { what: 'swarm registry', expected: 'string', string: SwarmRegistryModel };
const statusSchema = z.enum(AGENT_STATUSES);

/** Who is in a swarm, and which other swarms may read it: `swarm:registry:{id}`. */
export interface SwarmRegistryApi {
  /**
   * Adds the agent to the swarm's roster, or updates its entry (role, status, public key, extra
   * fields; last_seen = now). Creates the registry on the first registration.
   */
  registerAgent(swarmId: string, agent: RegisterAgentInput): Promise<SwarmRegistry>;
  /** The swarm's registry: roster, roles, artifacts, allowlist. NOT_FOUND when no agent registered. */
  getRoster(swarmId: string): Promise<SwarmRegistry>;
  /** Sets the agent's last_seen to now (and its status, if given); NOT_FOUND when it is not registered. */
  heartbeat(swarmId: string, agentId: string, status?: AgentStatus): Promise<SwarmAgent>;
  /** Replaces the list of other swarms allowed to read this swarm's data. */
  setAllowlist(swarmId: string, allowlist: readonly string[]): Promise<SwarmRegistry>;
  /**
   * Whether agents of `readerSwarmId` may read `targetSwarmId`'s data: the same swarm, or one on
   * the target's allowlist. False when the target has no registry (fail closed).
   */
  canRead(readerSwarmId: string, targetSwarmId: string): Promise<boolean>;
}

export function createSwarmRegistry(ctx: SwarmContext): SwarmRegistryApi {
  const missingRegistry = (swarmId: string) => () =>
    notFound(`swarm ${swarmId} has no registry (${ctx.keys.swarmRegistry(swarmId)}): registerAgent creates it; registries expire ${SwarmRegistryModel.ttlSeconds} s after their last write`);

  const update = (swarmId: string, change: (current: SwarmRegistry | undefined) => SwarmRegistry) =>
    updateRecord(ctx, ctx.keys.swarmRegistry(swarmId), REGISTRY_READER, SwarmRegistryModel, change);

  return {
    async registerAgent(swarmId, agent) {
      const a = parseInput(registerAgentInputSchema, agent, 'swarm agent');
      return update(swarmId, (current) => {
        const now = ctx.isoNow();
        const registry = current ?? { id: swarmId, agents: [], roles: {}, artifacts: [], created_at: now };
        const old = registry.agents.find((x) => x.id === a.id);
        const entry: SwarmAgent = { ...old, ...a, last_seen: now };
        const agents = old ? registry.agents.map((x) => (x.id === a.id ? entry : x)) : [...registry.agents, entry];
        return { ...registry, agents, updated_at: now };
      });
    },

    async getRoster(swarmId) {
      const key = ctx.keys.swarmRegistry(swarmId);
      return decodeOrThrow(key, await ctx.store.read(key), REGISTRY_READER, missingRegistry(swarmId));
    },

    async heartbeat(swarmId, agentId, status) {
      const id = parseArgument(agentIdSchema, agentId, 'agent id');
      const s = status === undefined ? undefined : parseArgument(statusSchema, status, 'agent status');
      let updated: SwarmAgent | undefined;
      await update(swarmId, (current) => {
        if (!current) throw missingRegistry(swarmId)();
        const now = ctx.isoNow();
        const agents = current.agents.map((x) => {
          if (x.id !== id) return x;
          updated = { ...x, last_seen: now, ...(s === undefined ? {} : { status: s }) };
          return updated;
        });
        if (!updated) throw notFound(`agent ${id} is not registered in swarm ${swarmId}: registerAgent first`);
        return { ...current, agents, updated_at: now };
      });
      return updated!;
    },

    async setAllowlist(swarmId, allowlist) {
      const list = parseArgument(allowlistSchema, allowlist, 'allowlist');
      return update(swarmId, (current) => {
        if (!current) throw missingRegistry(swarmId)();
        return { ...current, allowlist: [...new Set(list)], updated_at: ctx.isoNow() };
      });
    },

    async canRead(readerSwarmId, targetSwarmId) {
      const reader = parseArgument(recordIdSchema, readerSwarmId, 'reader swarm id');
      const target = parseArgument(recordIdSchema, targetSwarmId, 'target swarm id');
      if (reader === target) return true;
      const key = ctx.keys.swarmRegistry(target);
      const d = decodeStored(key, await ctx.store.read(key), REGISTRY_READER);
      if (!d.ok) {
        if (d.error) throw d.error;
        return false;
      }
      return d.value.allowlist?.includes(reader) ?? false;
    },
  };
}
