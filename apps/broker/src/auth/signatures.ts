import { ERROR_CODES, isAgentbusError, verifyEnvelope, type Envelope } from '@agentbus/schema';
import type { Swarm } from '@agentbus/swarm';
import { forbidden, HttpError } from '../http/http-error';
import type { Principal } from './principal';

export interface SignatureCheckOptions {
  /** Swarms whose agents must sign every envelope. */
  requireSignatures: ReadonlySet<string>;
  /** Public keys read from the registry are reused this long (ms). Default 1000. */
  keyCacheMs?: number;
  now?: () => number;
}

export const DEFAULT_SIGNATURE_CHECK_OPTIONS = { keyCacheMs: 1_000 } as const;

export interface SignatureCheck {
  /**
   * Verifies `env` (whose `from` is the principal's agent) against the public key that agent
   * registered in one of its swarms' rosters; refuses an unsigned envelope when one of those
   * swarms requires signatures. Throws a 403 HttpError saying why.
   */
  check(p: Principal, env: Envelope): Promise<void>;
}

interface CachedKey {
  key: { swarm: string; publicKey: string } | undefined;
  at: number;
}

/** The public key `agent` registered in swarm `swarmId`'s roster; undefined without a roster, an entry or a key. */
export async function rosterKey(swarm: Swarm, swarmId: string, agent: string): Promise<string | undefined> {
  try {
    const registry = await swarm.getRoster(swarmId);
    return registry.agents.find((a) => a.id === agent)?.public_key;
  } catch (error) {
    if (isAgentbusError(error) && error.code === ERROR_CODES.NOT_FOUND) return undefined;
    throw error;
  }
}

export function createSignatureCheck(swarm: Swarm, options: SignatureCheckOptions): SignatureCheck {
  const cacheMs = options.keyCacheMs ?? DEFAULT_SIGNATURE_CHECK_OPTIONS.keyCacheMs;
  const now = options.now ?? Date.now;
  const cache = new Map<string, CachedKey>();

  async function keyOf(swarms: readonly string[], agent: string): Promise<CachedKey['key']> {
    const id = `${swarms.join(',')}\u0000${agent}`;
    const hit = cache.get(id);
    if (hit && now() - hit.at < cacheMs) return hit.key;
    let key: CachedKey['key'];
    for (const s of swarms) {
      const publicKey = await rosterKey(swarm, s, agent);
      if (publicKey) {
        key = { swarm: s, publicKey };
        break;
      }
    }
    // Bounded: a long-running broker meets each (swarms, agent) pair of its tokens only.
    if (cache.size > 10_000) cache.clear();
    cache.set(id, { key, at: now() });
    return key;
  }

  return {
    async check(p, env) {
      // Without auth the broker does not know the sender's swarm; consumers verify on their side.
      if (p.dev) return;
      const requiring = p.swarms.find((s) => options.requireSignatures.has(s));
      const key = await keyOf(p.swarms, env.from);
      if (key) {
        if (env.sig === undefined) {
          if (requiring) throw forbidden(`swarm ${requiring} requires signed envelopes: envelope ${env.id} from ${env.from} is unsigned (sign it with the key registered in swarm ${key.swarm})`);
          return;
        }
        const r = verifyEnvelope(env, key.publicKey);
        if (!r.ok) throw new HttpError(403, ERROR_CODES.BAD_SIGNATURE, `bad signature: ${r.error.message} (against the public key ${env.from} registered in swarm ${key.swarm})`);
        return;
      }
      if (requiring) {
        throw forbidden(
          `swarm ${requiring} requires signed envelopes, and agent ${env.from} has no public_key in its roster: register one (POST /v1/swarm/registries/${requiring}/agents) and sign`,
        );
      }
    },
  };
}
