import { expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exited, outputLines } from '@agentbus/test-utils';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

it('npm start (embedded, memory backend) answers /health on broker, worker and chat hub, carries a message, and stops cleanly on SIGTERM', async () => {
  const child = spawn(process.execPath, [path.join(root, 'tools/scripts/start.mjs')], {
    cwd: root,
    env: { ...process.env, REDIS_URL: '', QUEUE_BACKEND: 'memory', BROKER_PORT: '0', CHAT_HUB_PORT: '0', WORKER_PORT: '0', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = outputLines(child);
  try {
    await vi.waitFor(() => expect(out.some((l) => l.startsWith('Stop with Ctrl-C'))).toBe(true), { timeout: 45_000, interval: 100 });
    const url = (name: string) => {
      const line = out.find((l) => new RegExp(`^\\s*${name}\\s+http`).test(l))!;
      return /(http:\/\/\S+)/.exec(line)![1]!;
    };
    const broker = url('broker');
    const worker = url('worker');
    const hub = url('chat hub');
    expect(await (await fetch(`${broker}/health`)).json()).toMatchObject({ status: 'ok' });
    expect((await fetch(`${worker}/health`)).status).toBe(200);
    expect((await fetch(hub)).status).toBe(200);
    const sent = await fetch(`${broker}/v1/topics/tasks/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'task_request', from: 'test', payload: { job: 1 } }),
    });
    expect(sent.status).toBeLessThan(300);
    const { id } = (await sent.json()) as { id: string };
    await vi.waitFor(() => expect(out.some((l) => l.includes('demo worker handled') && l.includes(id))).toBe(true), { timeout: 10_000 });
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited(child)).toBe(0);
  expect(out.some((l) => l.includes('stopping'))).toBe(true);
});

/** Runs npm start's entry with `env` until it exits; its stderr lines. */
async function startFails(extra: NodeJS.ProcessEnv): Promise<{ code: number | NodeJS.Signals; err: string[] }> {
  const child = spawn(process.execPath, [path.join(root, 'tools/scripts/start.mjs')], {
    cwd: root,
    env: { ...process.env, REDIS_URL: '', QUEUE_BACKEND: '', BROKER_PORT: '0', CHAT_PORT: '0', WORKER_PORT: '0', LOG_LEVEL: 'warn', ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const err: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (d: string) => err.push(...d.split('\n').filter(Boolean)));
  const code = await exited(child);
  return { code, err };
}

it('npm start says a bad REDIS_URL in one line, no stack, and exits 1', async () => {
  const r = await startFails({ REDIS_URL: 'http::bad' });
  expect(r.code).toBe(1);
  expect(r.err).toEqual(['agentbus: invalid REDIS_URL "http::bad": use redis://host:port']);
}, 60_000);

it('npm start says a port in use in one line naming the variable, and exits 1', async () => {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const r = await startFails({ BROKER_PORT: String(port) });
    expect(r.code).toBe(1);
    expect(r.err).toEqual([`agentbus: port ${port} on 127.0.0.1 is in use: set BROKER_PORT to a free port (or stop what holds it)`]);
  } finally {
    server.close();
  }
}, 60_000);
