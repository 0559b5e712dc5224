import { randomBytes } from 'node:crypto';
import { expect, inject, vi } from 'vitest';
import { createEnvelope } from '@agentbus/schema';
import { createReliability, PermanentError } from '@agentbus/reliability';
import { createRedisTransport, type RedisTransportOptions, type Transport } from '@agentbus/transport';
import { uniquePrefix } from '@agentbus/test-utils';
import { createBroker, type Broker, type BrokerOptions, type TokenConfig } from '../src/index';
import type { CliIo } from '../src/cli/cli-io';

/** Things a test opened, closed after it (newest first). */
export const opened: Array<{ close(): Promise<void> }> = [];

export async function closeAll(): Promise<void> {
  for (const o of opened.splice(0).reverse()) await o.close();
}

export function redisTransport(namespace = uniquePrefix('broker'), options: RedisTransportOptions = {}): Transport {
  const t = createRedisTransport({ url: inject('redisUrl'), namespace, ...options });
  opened.push(t);
  return t;
}

export interface TestToken {
  secret: string;
  config: TokenConfig;
}

/** A token for `agent` in `swarms` (the first is home); all topics and channels unless given. */
export function token(agent: string, swarms: string[], extra: Partial<TokenConfig> = {}): TestToken {
  const secret = `t_${agent}_${randomBytes(12).toString('hex')}`;
  return { secret, config: { token: secret, agent, swarms, topics: ['*'], channels: ['*'], ...extra } };
}

export function bearer(t: TestToken | string): Record<string, string> {
  return { authorization: `Bearer ${typeof t === 'string' ? t : t.secret}` };
}

export interface TestBroker {
  broker: Broker;
  transport: Transport;
  namespace: string;
}

/** A broker on a fresh namespace of the test Redis; closed by closeAll. */
export function startBroker(options: Omit<BrokerOptions, 'transport'> & { transportOptions?: RedisTransportOptions } = {}): TestBroker {
  const namespace = uniquePrefix('broker');
  const { transportOptions, ...rest } = options;
  const transport = redisTransport(namespace, transportOptions);
  const broker = createBroker({ log: false, auth: false, ...rest, transport });
  opened.push(broker);
  return { broker, transport, namespace };
}

/** Publishes `n` messages and lets a consumer dead-letter each at once; resolves with their envelope ids. */
export async function makeDeadLetters(transport: Transport, topic: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await transport.publish(topic, createEnvelope({ type: 'job', from: 'test', payload: { i } }))).id);
  const reliability = createReliability(transport);
  const consumer = reliability.consume(topic, () => {
    throw new PermanentError('bad job');
  }, { group: 'dl', consumer: 'dl-1', blockMs: 50 });
  await vi.waitFor(async () => {
    if ((await reliability.deadLetters.depth(topic)) < n) throw new Error('not yet');
  }, { timeout: 5_000, interval: 20 });
  await consumer.close(1_000);
  await reliability.close();
  return ids;
}

/** A CliIo writing into strings. */
export function captureIo(env: NodeJS.ProcessEnv, options: { tty?: boolean; signal?: AbortSignal } = {}) {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s), isTTY: options.tty === true, columns: 100 },
    env,
    signal: options.signal ?? new AbortController().signal,
  };
  return { io, out: () => out, err: () => err };
}

/** A response as inject() and the fuzz test see it. */
export interface RawResponse {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

/**
 * The error contract of every 4xx/5xx (README: Routes): JSON with a stable `error` code, a
 * one-sentence `reason`, and the `requestId` of the `x-request-id` header. Returns the body.
 */
export function expectErrorContract(r: RawResponse, what = ''): { error: string; reason: string; path?: string; requestId: string; retryAfterMs?: number } {
  const where = `${what} ${r.statusCode} ${r.body.slice(0, 300)}`;
  expect(String(r.headers['content-type']), where).toMatch(/^application\/json/);
  const body = JSON.parse(r.body) as { error?: unknown; reason?: unknown; requestId?: unknown; path?: unknown; retryAfterMs?: unknown };
  expect(body.error, where).toMatch(/^[A-Z][A-Z_]+$/);
  expect(typeof body.reason === 'string' && body.reason.length > 0, where).toBe(true);
  expect(body.requestId, where).toBe(r.headers['x-request-id']);
  if (body.path !== undefined) expect(typeof body.path, where).toBe('string');
  return body as { error: string; reason: string; path?: string; requestId: string; retryAfterMs?: number };
}
