import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import type { CustodyHop, Envelope } from './envelope';
import { CustodyError } from './errors';
import { err, ok, type Result } from './result';

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Hash that the first hop's `prev` points at: the envelope's content, so a chain cannot be moved to another message. */
function contentHash(env: Envelope): string {
  const { sig: _sig, custody: _custody, ...rest } = env;
  return sha256(canonicalJson(rest));
}

function hopHash(hop: CustodyHop): string {
  return sha256(canonicalJson(hop));
}

/**
 * Hash of the last hop (or of the content when there is none). Hand it on out of band to let
 * a later `verifyCustody` detect hops cut off the end, which a back-linked chain alone cannot.
 */
export function custodyHead(env: Envelope): string {
  const chain = env.custody ?? [];
  const last = chain[chain.length - 1];
  return last ? hopHash(last) : contentHash(env);
}

export interface CustodyStep {
  agent: string;
  action: string;
  /** Default: now. */
  at?: number;
}

/** Returns a copy of `env` with one hop appended, linked to the hop before it. */
export function appendCustody<E extends Envelope>(env: E, step: CustodyStep): E {
  const hop: CustodyHop = {
    agent: step.agent,
    action: step.action,
    at: step.at ?? Date.now(),
    prev: custodyHead(env),
  };
  return { ...env, custody: [...(env.custody ?? []), hop] };
}

export interface VerifyCustodyOptions {
  /** The head hash recorded by the last known holder; catches hops removed from the end. */
  expectedHead?: string;
}

/** Checks every link of the chain; names the first hop that was edited, removed or reordered. */
export function verifyCustody<E extends Envelope>(
  env: E,
  options: VerifyCustodyOptions = {},
): Result<E, CustodyError> {
  const chain = env.custody ?? [];
  let expected = contentHash(env);
  for (let i = 0; i < chain.length; i++) {
    const hop = chain[i]!;
    if (hop.prev !== expected) {
      return err(
        new CustodyError(
          i,
          i === 0
            ? `custody hop 0 (${hop.agent}) does not link to the envelope's content: content edited or hops removed`
            : `custody hop ${i} (${hop.agent}) does not link to hop ${i - 1}: a hop was edited, removed or reordered`,
        ),
      );
    }
    if (i > 0 && hop.at < chain[i - 1]!.at) {
      return err(new CustodyError(i, `custody hop ${i} (${hop.agent}) is dated before hop ${i - 1}`));
    }
    expected = hopHash(hop);
  }
  if (options.expectedHead !== undefined && options.expectedHead !== expected) {
    return err(new CustodyError(chain.length, `custody chain does not end at the expected head: hops were removed from the end`));
  }
  return ok(env);
}
