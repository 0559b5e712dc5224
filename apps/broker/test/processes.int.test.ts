import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { createEnvelope } from '@agentbus/schema';
import { createSwarm } from '@agentbus/swarm';
import { exited, outputLines, spawnTs, uniquePrefix } from '@agentbus/test-utils';
import { closeAll, makeDeadLetters, redisTransport } from './helpers';

const here = path.dirname(fileURLToPath(import.meta.url));
const cliMain = path.resolve(here, '../src/cli/main.ts');
const brokerMain = path.resolve(here, '../src/main.ts');
const demoMain = path.resolve(here, '../src/demo/main.ts');

afterEach(closeAll);

/** The environment of a child: no inherited agentbus or broker settings, only what the test gives. */
function childEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(REDIS_|AGENTBUS_|BROKER_|QUEUE_BACKEND)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

function collect(child: ChildProcess): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  return { out: () => out, err: () => err };
}

async function agentbus(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number | NodeJS.Signals; out: string; err: string }> {
  const child = spawnTs(cliMain, args, { env: childEnv(env) });
  const c = collect(child);
  const code = await exited(child);
  return { code, out: c.out(), err: c.err() };
}

describe('agentbus as a child process', () => {
  it('runs the commands against Redis with their exit codes and output', async () => {
    const ns = uniquePrefix('proc');
    const env = { REDIS_URL: inject('redisUrl'), REDIS_NAMESPACE: ns };
    const transport = redisTransport(ns);
    await makeDeadLetters(transport, 'jobs', 2);
    await createSwarm(transport).createTask({ id: 'p1', description: 'process task', type: 'r' });
    await transport.redis!.set(`${ns}:task:oops`, 'x');

    const [smoke, sent, dlq, tasks, remediate, health, help, none, badRedis] = await Promise.all([
      agentbus(env, 'smoke'),
      agentbus(env, 'send', 'orders', '--type', 'order', '--payload', '{"n":1}', '--from', 'shop'),
      agentbus(env, 'dlq', 'ls', 'jobs', '--json'),
      agentbus(env, 'tasks', 'claim', 'p1', '--agent', 'w1'),
      agentbus(env, 'remediate'),
      agentbus(env, 'health', '--topic', 'jobs', '--max-dlq', '0'),
      agentbus({}, 'dlq', '--help'),
      agentbus({}),
      agentbus({ REDIS_URL: 'redis://127.0.0.1:1' }, 'tasks', 'ls', '--timeout', '500'),
    ]);
    expect(smoke).toMatchObject({ code: 0, err: '' });
    expect(smoke.out).toContain('smoke test passed against Redis at 127.0.0.1');
    expect(sent.code).toBe(0);
    expect(sent.out).toMatch(/^published \S+ to orders as \d+-\d+\n$/);
    expect(dlq.code).toBe(0);
    expect((JSON.parse(dlq.out) as { depth: number }).depth).toBe(2);
    expect(tasks).toMatchObject({ code: 0, out: 'claimed p1 (r) as w1: process task\n' });
    expect(remediate.out).toMatch(/1 of the wrong type/);
    expect(health.code).toBe(1);
    expect(health.err).toBe('agentbus health: unhealthy: topic jobs holds 2 dead letters (> --max-dlq 0)\n');
    expect(help).toMatchObject({ code: 0 });
    expect(help.out).toMatch(/^usage: agentbus dlq ls/);
    expect(none).toMatchObject({ code: 2, err: 'agentbus: no command given; see agentbus --help\n' });
    expect(badRedis.code).toBe(1);
    expect(badRedis.err.trim().split('\n')).toHaveLength(1);
    expect(badRedis.err).toMatch(/^agentbus tasks: \S+: .*127\.0\.0\.1:1/);

    const [tail, consume, replay] = await Promise.all([
      agentbus(env, 'tail', 'orders', '--from', '0', '--count', '1', '--json'),
      agentbus(env, 'consume', 'orders', '--group', 'g', '--count', '1'),
      agentbus(env, 'dlq', 'replay', 'jobs', '--all'),
    ]);
    expect(tail.code).toBe(0);
    expect(JSON.parse(tail.out)).toMatchObject({ type: 'order', from: 'shop', payload: { n: 1 } });
    expect(consume.code).toBe(0);
    expect(consume.out).toMatch(/shop -> broadcast {2}order\/inform {2}\{"n":1\} {2}\(attempt 1, acked\)/);
    expect(replay).toMatchObject({ code: 0, out: 'replayed 2 dead letters of jobs\n' });
    expect((await transport.stats('orders')).groups[0]).toMatchObject({ name: 'g', pending: 0 });
    const trim = await agentbus(env, 'trim', 'jobs', '--hard-max-len', '1');
    // The replayed dead letters went to the dead-lettering group's inbox, not the lanes.
    expect(trim).toMatchObject({ code: 0, out: 'trimmed 1 entry from jobs\n' });
  });

  it('tail --channel follows Pub/Sub until SIGINT, then exits 0', async () => {
    const ns = uniquePrefix('proc-ps');
    const transport = redisTransport(ns);
    const child = spawnTs(cliMain, ['tail', '--channel', 'news'], { env: childEnv({ REDIS_URL: inject('redisUrl'), REDIS_NAMESPACE: ns }) });
    const c = collect(child);
    await vi.waitFor(() => expect(c.err()).toContain('following channel news'), { timeout: 15_000 });
    await transport.pubsub.publish('news', createEnvelope({ type: 'headline', from: 'desk', payload: 'hello' }));
    await vi.waitFor(() => expect(c.out()).toContain('desk -> broadcast  headline/inform  "hello"'));
    child.kill('SIGINT');
    expect(await exited(child)).toBe(0);
  });
});

describe('agentbus-broker as a child process', () => {
  it('serves with tokens from BROKER_TOKENS, answers /health, and stops cleanly on SIGTERM', async () => {
    const ns = uniquePrefix('proc-broker');
    const tokens = JSON.stringify({ tokens: [{ token: 'proc-token-0123456789', agent: 'a', swarms: ['s'], topics: ['*'] }] });
    const child = spawnTs(brokerMain, ['--port', '0'], { env: childEnv({ REDIS_URL: inject('redisUrl'), REDIS_NAMESPACE: ns, BROKER_TOKENS: tokens, LOG_LEVEL: 'info' }) });
    const lines = outputLines(child);
    await vi.waitFor(() => expect(lines.some((l) => l.includes('broker listening'))).toBe(true), { timeout: 15_000 });
    const url = (JSON.parse(lines.find((l) => l.includes('broker listening'))!) as { url: string }).url;
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
    const denied = await fetch(`${url}/v1/topics/x`);
    expect(denied.status).toBe(401);
    const ok = await fetch(`${url}/v1/topics/x/messages`, { method: 'POST', headers: { authorization: 'Bearer proc-token-0123456789', 'content-type': 'application/json' }, body: JSON.stringify({ type: 't', payload: 1 }) });
    expect(ok.status).toBe(201);
    const sent = await agentbus({ AGENTBUS_BROKER_URL: url, AGENTBUS_TOKEN: 'proc-token-0123456789' }, 'send', 'x', '--type', 't', '--json');
    expect(sent.code).toBe(0);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    expect(lines.some((l) => l.includes('"msg":"stopping"'))).toBe(true);
  });

  it('refuses to start without tokens (one line) unless BROKER_AUTH=off', async () => {
    const child = spawnTs(brokerMain, [], { env: childEnv({ BROKER_PORT: '0' }) });
    const c = collect(child);
    expect(await exited(child)).toBe(1);
    expect(c.err()).toMatch(/^agentbus-broker: no broker tokens: set BROKER_TOKENS_FILE/);
    expect(c.err().trim().split('\n')).toHaveLength(1);
  });
});

describe('the demo as a child process', () => {
  it('runs to completion on an embedded broker', async () => {
    const child = spawnTs(demoMain, ['--pause', '0'], { env: childEnv({}) });
    const c = collect(child);
    expect(await exited(child)).toBe(0);
    expect(c.out()).toMatch(/embedded broker on the memory backend at http:\/\/127\.0\.0\.1:\d+/);
    expect(c.out()).toMatch(/CONFLICT/);
    expect(c.out()).toMatch(/done in [\d.]+ s: 2 completed, 1 escalated to a human/);
  });
});
