import { createHash } from 'node:crypto';
import { z } from 'zod';
import { agentIdSchema, swarmIdSchema } from '../schemas/names';
import { unauthorized } from '../http/http-error';
import type { Principal } from './principal';

/** A topic or channel pattern: a name, `*` (everything), or a prefix ending in `*` (`tasks.*`). */
export const accessPatternSchema = z.string().regex(/^(?:\*|[^\s{}*]{1,512}\*?)$/, 'must be a name, *, or a prefix ending in * (tasks.*)');

/**
 * One bearer token as the config file (or BROKER_TOKENS) lists it. Give `sha256` (the hex digest
 * of the token, what a config file should hold) or `token` (the secret itself, hashed at load and
 * never kept): the broker only ever stores and compares digests.
 */
export const tokenConfigSchema = z
  .strictObject({
    /** A name for logs (never the secret). Default: the first 12 hex digits of the digest. */
    label: z.string().min(1).max(128).optional(),
    token: z.string().min(16, 'must be at least 16 characters (use a random secret: agentbus token new)').max(512).optional(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the 64 hex digits of the sha256 of the token').optional(),
    /** The one agent id this token acts as: every envelope's `from` and every agent_id it sends. */
    agent: agentIdSchema,
    /** Swarms it belongs to; the first is its home swarm. */
    swarms: z.array(swarmIdSchema).min(1, 'must name at least one swarm'),
    topics: z.array(accessPatternSchema).default([]),
    channels: z.array(accessPatternSchema).default([]),
    admin: z.boolean().default(false),
    /** A revoked token is refused with 401 "revoked" (kept in the file so the refusal says why). */
    revoked: z.boolean().default(false),
    rateLimit: z
      .strictObject({ capacity: z.number().int().min(1).max(1_000_000).optional(), refillPerSecond: z.number().positive().max(1_000_000).optional() })
      .optional(),
  })
  .superRefine((t, ctx) => {
    if ((t.token === undefined) === (t.sha256 === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['sha256'], message: 'give exactly one of sha256 (preferred) or token' });
    }
  });
export type TokenConfig = z.input<typeof tokenConfigSchema>;

/** sha256 hex of a bearer token: what config files hold and what the broker compares. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

interface Entry {
  principal: Principal;
  revoked: boolean;
}

/** Bearer tokens, kept only as digests. */
export interface TokenStore {
  /** The principal of an `Authorization` header; throws a 401 HttpError saying why not. */
  authenticate(authorization: string | undefined): Principal;
  /** Refuses a token from now on (by the token or its sha256); false when it is not known. */
  revoke(tokenOrDigest: string): boolean;
  /** Replaces every token (a reloaded config file). */
  replace(tokens: readonly TokenConfig[]): void;
  /** Tokens known, revoked ones included. */
  size(): number;
}

function entriesOf(tokens: readonly TokenConfig[]): Map<string, Entry> {
  const parsed = z.array(tokenConfigSchema).parse(tokens);
  const map = new Map<string, Entry>();
  for (const t of parsed) {
    const digest = t.sha256 ?? hashToken(t.token!);
    const tokenId = digest.slice(0, 12);
    map.set(digest, {
      revoked: t.revoked,
      principal: Object.freeze({
        tokenId,
        label: t.label ?? tokenId,
        agent: t.agent,
        swarms: Object.freeze([...t.swarms]),
        topics: Object.freeze([...t.topics]),
        channels: Object.freeze([...t.channels]),
        admin: t.admin,
        rateLimit: t.rateLimit,
        dev: false,
      }),
    });
  }
  return map;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Looks tokens up by their sha256 only: a lookup by the secret could leak through timing how
 * much of a guess matched, and a digest's prefix says nothing about the token.
 */
export function createTokenStore(tokens: readonly TokenConfig[]): TokenStore {
  let entries = entriesOf(tokens);
  return {
    authenticate(authorization) {
      if (authorization === undefined || authorization === '') {
        throw unauthorized('missing bearer token: send Authorization: Bearer <token>');
      }
      const m = BEARER.exec(authorization);
      if (!m) throw unauthorized('Authorization must be "Bearer <token>"');
      const entry = entries.get(hashToken(m[1]!));
      if (!entry) throw unauthorized('unknown token: it is not in the broker\'s token config');
      if (entry.revoked) throw unauthorized(`token ${entry.principal.label} is revoked`);
      return entry.principal;
    },
    revoke(tokenOrDigest) {
      const digest = /^[0-9a-f]{64}$/.test(tokenOrDigest) ? tokenOrDigest : hashToken(tokenOrDigest);
      const entry = entries.get(digest);
      if (!entry) return false;
      entry.revoked = true;
      return true;
    },
    replace(next) {
      entries = entriesOf(next);
    },
    size: () => entries.size,
  };
}
