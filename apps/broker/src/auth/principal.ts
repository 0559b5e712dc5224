import type { TokenBucketOptions } from '@agentbus/reliability';

/** Who a request acts as: resolved from its bearer token, fixed for the request. */
export interface Principal {
  /** A short, non-secret id of the token (the first 12 hex digits of its sha256): logs and rate-limit buckets. */
  readonly tokenId: string;
  /** The config entry's label, else the tokenId. */
  readonly label: string;
  /** The one agent id this token acts as; undefined only without auth (dev mode). */
  readonly agent: string | undefined;
  /** Swarms the token may write to and read; the first is its home swarm (the default of every swarm call). */
  readonly swarms: readonly string[];
  /** Topic patterns it may publish to and read (`*`, `orders`, `tasks.*`). */
  readonly topics: readonly string[];
  /** Pub/Sub channel patterns it may publish to. */
  readonly channels: readonly string[];
  /** May trim, purge and replay dead letters, and run remediation. */
  readonly admin: boolean;
  /** This token's own publish rate, over the broker's default. */
  readonly rateLimit: TokenBucketOptions | undefined;
  /** No auth (embedded dev mode): every check passes. */
  readonly dev: boolean;
}

/** The principal of every request when the broker runs without auth. */
export const DEV_PRINCIPAL: Principal = Object.freeze({
  tokenId: 'dev',
  label: 'dev (no auth)',
  agent: undefined,
  swarms: Object.freeze([]) as readonly string[],
  topics: Object.freeze(['*']) as readonly string[],
  channels: Object.freeze(['*']) as readonly string[],
  admin: true,
  rateLimit: undefined,
  dev: true,
});

/** The principal of public routes (health, docs, metrics): allowed nothing. */
export const ANONYMOUS_PRINCIPAL: Principal = Object.freeze({
  tokenId: 'anonymous',
  label: 'anonymous',
  agent: undefined,
  swarms: Object.freeze([]) as readonly string[],
  topics: Object.freeze([]) as readonly string[],
  channels: Object.freeze([]) as readonly string[],
  admin: false,
  rateLimit: undefined,
  dev: false,
});
