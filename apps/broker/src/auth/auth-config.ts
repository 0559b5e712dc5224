import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import { swarmIdSchema } from '../schemas/names';
import { tokenConfigSchema } from './tokens';

/** The broker's auth config: what BROKER_TOKENS_FILE holds (JSON). */
export const authConfigSchema = z.strictObject({
  tokens: z.array(tokenConfigSchema).default([]),
  /** Per swarm: `requireSignatures` refuses unsigned envelopes from its agents. */
  swarms: z.record(swarmIdSchema, z.strictObject({ requireSignatures: z.boolean().default(false) })).default({}),
  /** The swarm of tasks that carry none (`data.swarm`), e.g. written by Python agents. Default `default`. */
  defaultSwarm: swarmIdSchema.default('default'),
});
export type AuthConfig = z.input<typeof authConfigSchema>;
export type ResolvedAuthConfig = z.output<typeof authConfigSchema>;

function describe(issues: readonly z.core.$ZodIssue[]): string {
  const first = issues[0]!;
  return `${first.path.map(String).join('.') || '(root)'}: ${first.message}`;
}

function invalid(message: string): AgentbusError {
  return new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, message);
}

/** Validates an auth config; a bad one is one INVALID_ARGUMENT naming where it came from and the failing path. */
export function parseAuthConfig(value: unknown, source = 'auth config'): ResolvedAuthConfig {
  // A bare array is a token list.
  const r = authConfigSchema.safeParse(Array.isArray(value) ? { tokens: value } : value);
  if (!r.success) throw invalid(`invalid ${source}: ${describe(r.error.issues)}`);
  return r.data;
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `${source} is not JSON: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Auth from the environment: BROKER_TOKENS_FILE (a JSON file, see authConfigSchema) and/or
 * BROKER_TOKENS (the same JSON inline, or a bare token array), BROKER_REQUIRE_SIGNATURES (swarm
 * ids, comma-separated). `BROKER_AUTH=off` runs without auth (false). No tokens at all is an error:
 * a broker never runs open by accident.
 */
export function authConfigFromEnv(env: NodeJS.ProcessEnv = process.env, readFile: (file: string) => string = (f) => readFileSync(f, 'utf8')): ResolvedAuthConfig | false {
  const mode = (env.BROKER_AUTH ?? 'on').toLowerCase();
  if (mode === 'off' || mode === 'false' || mode === '0') return false;
  if (mode !== 'on' && mode !== 'true' && mode !== '1') throw invalid(`BROKER_AUTH must be on or off, got ${JSON.stringify(env.BROKER_AUTH)}`);
  const parts: ResolvedAuthConfig[] = [];
  if (env.BROKER_TOKENS_FILE) {
    const file = env.BROKER_TOKENS_FILE;
    let text: string;
    try {
      text = readFile(file);
    } catch (cause) {
      throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `cannot read BROKER_TOKENS_FILE ${file}: ${(cause as Error).message}`, { cause });
    }
    parts.push(parseAuthConfig(parseJson(text, `BROKER_TOKENS_FILE ${file}`), `BROKER_TOKENS_FILE ${file}`));
  }
  if (env.BROKER_TOKENS) parts.push(parseAuthConfig(parseJson(env.BROKER_TOKENS, 'BROKER_TOKENS'), 'BROKER_TOKENS'));
  if (parts.length === 0) {
    throw invalid('no broker tokens: set BROKER_TOKENS_FILE (a JSON file of tokens, see the broker README) or BROKER_TOKENS, or BROKER_AUTH=off for a local dev broker without auth');
  }
  const merged: ResolvedAuthConfig = {
    tokens: parts.flatMap((p) => p.tokens),
    swarms: Object.assign({}, ...parts.map((p) => p.swarms)) as ResolvedAuthConfig['swarms'],
    defaultSwarm: parts.at(-1)!.defaultSwarm,
  };
  for (const id of (env.BROKER_REQUIRE_SIGNATURES ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const r = swarmIdSchema.safeParse(id);
    if (!r.success) throw invalid(`BROKER_REQUIRE_SIGNATURES: invalid swarm id ${JSON.stringify(id)}`);
    merged.swarms[id] = { requireSignatures: true };
  }
  if (merged.tokens.length === 0) throw invalid('the broker token config lists no tokens: add one (agentbus token new), or BROKER_AUTH=off for dev');
  return merged;
}
