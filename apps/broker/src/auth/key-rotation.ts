import type { Swarm } from '@agentbus/swarm';
import { forbidden } from '../http/http-error';
import type { Principal } from './principal';
import { rosterKey } from './signatures';

/**
 * Refuses a registration that would change the public key an agent already has, unless the token
 * is an admin one. Signatures are the defence for when a bearer token leaks; if the token alone
 * could replace the key, the thief would register its own and sign with it. So the first key is
 * taken on first use, re-registering the same key is fine, and rotating it is an operator's act.
 * The key is looked up in every swarm the signature check consults (the token's swarms) and in the
 * one registered into, so a key added to another of its swarms cannot shadow the one in force.
 */
export async function checkKeyChange(swarm: Swarm, p: Principal, swarmId: string, agent: string, publicKey: string | undefined): Promise<void> {
  if (publicKey === undefined || p.admin) return;
  for (const s of new Set([swarmId, ...p.swarms])) {
    const current = await rosterKey(swarm, s, agent);
    if (current !== undefined && current !== publicKey) {
      throw forbidden(
        `changing the public_key of agent ${agent} needs an admin token: it already has one in swarm ${s} (re-register with that key, or have an admin token register {id: "${agent}", public_key} to rotate it)`,
      );
    }
  }
}
