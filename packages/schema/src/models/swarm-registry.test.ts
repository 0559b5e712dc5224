import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createKeyBuilder } from '../keys';
import { unwrap } from '../result';
import { generateSigningKeyPair } from '../signature';
import { AGENT_STATUSES, SWARM_REGISTRY_TTL_SECONDS, SwarmRegistryModel, type SwarmRegistry } from './swarm-registry';

const { publicKey } = generateSigningKeyPair();

const registry: SwarmRegistry = {
  id: 'infrafabric_2025-11-26',
  agents: [
    { id: 'sonnet-0', role: 'coordinator', status: 'active', public_key: publicKey, last_seen: '2025-11-30T09:00:00.000Z' },
    { id: 'haiku-1', role: 'worker', status: 'idle', last_seen: '2025-11-30T08:59:00.000Z', model: 'claude-haiku' },
  ],
  roles: { coordinator: 'sonnet-0', workers: ['haiku-1'] },
  artifacts: ['if://artifact/report-1'],
  allowlist: ['research_swarm'],
  created_at: '2025-11-26T00:00:00.000Z',
  updated_at: '2025-11-30T09:00:00.000Z',
};

describe('SwarmRegistryModel', () => {
  it('keeps the swarm:registry:{id} key shape with a 7 day TTL', () => {
    expect(SwarmRegistryModel.key(createKeyBuilder(''), 's1')).toBe('swarm:registry:s1');
    expect(SwarmRegistryModel.key(createKeyBuilder(), 's1')).toBe('agentbus:swarm:registry:s1');
    expect(SwarmRegistryModel.ttlSeconds).toBe(SWARM_REGISTRY_TTL_SECONDS);
    expect(SWARM_REGISTRY_TTL_SECONDS).toBe(604_800);
  });

  it('round-trips, keeping fields agents add to their entry', () => {
    expect(unwrap(SwarmRegistryModel.decode(SwarmRegistryModel.encode(registry)))).toEqual(registry);
  });

  it('accepts the public key signature.ts generates, raw or PEM', () => {
    const pem = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n';
    const agent = { ...registry.agents[0]!, public_key: pem };
    expect(SwarmRegistryModel.validate({ ...registry, agents: [agent] }).ok).toBe(true);
  });

  it('reads upper-case statuses and a roster without allowlist', () => {
    const { allowlist: _, ...rest } = registry;
    const r = unwrap(SwarmRegistryModel.decode(JSON.stringify({ ...rest, agents: [{ ...registry.agents[1], status: 'OFFLINE' }] })));
    expect(r.agents[0]!.status).toBe('offline');
    expect(r.allowlist).toBeUndefined();
  });

  it.each([
    ['agents', [{ id: 'a', role: 'worker', status: 'sleeping', last_seen: 0 }], 'agents.0.status', 'invalid_value'],
    ['agents', [{ id: 'a', role: 'worker', status: 'idle' }], 'agents.0.last_seen', 'invalid_type'],
    ['agents', [{ id: 'a', role: '', status: 'idle', last_seen: 0 }], 'agents.0.role', 'too_small'],
    ['agents', [{ id: 'a', role: 'w', status: 'idle', last_seen: 0, public_key: 'abc' }], 'agents.0.public_key', 'invalid_format'],
    ['roles', { coordinator: 7 }, 'roles.coordinator', 'invalid_union'],
    ['allowlist', ['has space'], 'allowlist.0', 'invalid_format'],
    ['artifacts', 'x', 'artifacts', 'invalid_type'],
  ])('names a bad %s and its rule', (field, value, path, rule) => {
    const r = SwarmRegistryModel.decode(JSON.stringify({ ...registry, [field]: value }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.issues[0]).toMatchObject({ path, rule });
  });

  it('round-trips any valid registry (property)', () => {
    const part = fc.stringMatching(/^[A-Za-z0-9._-]{1,30}$/);
    const iso = fc.date({ min: new Date(0), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
    const agent = fc.record(
      {
        id: fc.string({ minLength: 1, maxLength: 50 }),
        role: fc.string({ minLength: 1, maxLength: 50 }),
        status: fc.constantFrom(...AGENT_STATUSES),
        public_key: fc.constant(publicKey),
        last_seen: iso,
      },
      { requiredKeys: ['id', 'role', 'status', 'last_seen'] },
    );
    const arb = fc.record(
      {
        id: part,
        agents: fc.array(agent, { maxLength: 5 }),
        roles: fc.dictionary(fc.string().filter((k) => k !== '__proto__'), fc.oneof(fc.string(), fc.array(fc.string()))),
        artifacts: fc.array(fc.string()),
        allowlist: fc.array(part),
        created_at: iso,
        updated_at: iso,
      },
      { requiredKeys: ['id', 'agents', 'roles', 'artifacts'] },
    );
    fc.assert(
      fc.property(arb, (r) => {
        expect(unwrap(SwarmRegistryModel.decode(SwarmRegistryModel.encode(r)))).toEqual(r);
      }),
    );
  });
});
