import { z } from 'zod';
import type { KeyBuilder } from '../keys';
import { defineModel, jsonCodec } from '../internal/model';
import { keyPartSchema, lenientEnum, timestampSchema } from './fields';

export const SWARM_REGISTRY_TTL_SECONDS = 7 * 24 * 60 * 60;

export const AGENT_STATUSES = ['active', 'idle', 'busy', 'offline'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

// What signature.ts accepts as a public key: raw 32 bytes in base64/base64url, or PEM.
const PUBLIC_KEY_RE = /^(?:[A-Za-z0-9+/_-]{43}=?|-----BEGIN PUBLIC KEY-----[A-Za-z0-9+/=\s]+-----END PUBLIC KEY-----\s*)$/;

export const swarmAgentSchema = z.looseObject({
  id: z.string().min(1).max(256),
  role: z.string().min(1).max(256),
  status: lenientEnum(AGENT_STATUSES),
  /** Ed25519 key that verifies the agent's signed envelopes. */
  public_key: z.string().regex(PUBLIC_KEY_RE, 'must be a raw Ed25519 key (base64url, 43 characters) or PEM').optional(),
  last_seen: timestampSchema,
});
export type SwarmAgent = z.output<typeof swarmAgentSchema>;

/** `swarm:registry:{id}`: a swarm's roster, as a JSON string value. */
export const swarmRegistrySchema = z.looseObject({
  id: keyPartSchema,
  agents: z.array(swarmAgentSchema),
  /** Role name -> agent id(s), e.g. `{ coordinator: 'haiku-0', workers: ['haiku-1'] }`. */
  roles: z.record(z.string(), z.union([z.string(), z.array(z.string())])).default({}),
  /** Outputs of the swarm: file paths, URIs. */
  artifacts: z.array(z.string()).default([]),
  /** Ids of other swarms allowed to read this roster; absent when the swarm declared none. */
  allowlist: z.array(keyPartSchema).optional(),
  created_at: timestampSchema.optional(),
  updated_at: timestampSchema.optional(),
});
export type SwarmRegistry = z.output<typeof swarmRegistrySchema>;

export const SwarmRegistryModel = defineModel({
  name: 'swarm registry',
  schema: swarmRegistrySchema,
  codec: jsonCodec(swarmRegistrySchema, 'swarm registry'),
  key: (keys: KeyBuilder, id: string) => keys.swarmRegistry(id),
  ttlSeconds: SWARM_REGISTRY_TTL_SECONDS,
});
