import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startProbeServer, type ProbeServer } from './probe-server';

let server: ProbeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const get = async (url: string, method = 'GET') => {
  const res = await fetch(url, { method });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
};

describe('startProbeServer', () => {
  it('serves /metrics and the probes (200 or 503 with JSON), 404 naming the routes, 405 for other methods', async () => {
    let ready = false;
    server = await startProbeServer({
      port: 0,
      metrics: async () => ({ body: 'up 1\n', contentType: 'text/plain; version=0.0.4' }),
      probes: { '/health': () => ({ ok: true, body: { status: 'ok' } }), '/health/ready': async () => ({ ok: ready, body: { ready } }) },
    });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await get(`${server.url}/metrics`)).toEqual({ status: 200, type: 'text/plain; version=0.0.4', text: 'up 1\n' });
    expect(await get(`${server.url}/health?x=1`)).toMatchObject({ status: 200, text: '{"status":"ok"}' });
    expect(await get(`${server.url}/health/ready`)).toMatchObject({ status: 503, text: '{"ready":false}' });
    ready = true;
    expect((await get(`${server.url}/health/ready`)).status).toBe(200);
    const missing = await get(`${server.url}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('/metrics, /health, /health/ready');
    expect((await get(`${server.url}/toString`)).status).toBe(404);
    expect((await get(`${server.url}/metrics`, 'POST')).status).toBe(405);
  });

  it('a failing metrics source is a 500, a throwing probe a 503, both with the error', async () => {
    server = await startProbeServer({
      port: 0,
      metrics: () => Promise.reject(new Error('registry gone')),
      probes: {
        '/health': () => {
          throw new Error('probe broke');
        },
      },
    });
    expect(await get(`${server.url}/metrics`)).toMatchObject({ status: 500, text: '{"error":"registry gone"}' });
    expect(await get(`${server.url}/health`)).toMatchObject({ status: 503, text: '{"error":"probe broke"}' });
  });

  it('refuses a bad port, rejects a port in use, and close() frees the port even with a keep-alive client', async () => {
    await expect(startProbeServer({ port: 70_000, metrics: async () => ({ body: '', contentType: 'text/plain' }), probes: {} })).rejects.toThrow(/port must be 0-65535/);
    server = await startProbeServer({ port: 0, metrics: async () => ({ body: '', contentType: 'text/plain' }), probes: {} });
    await expect(startProbeServer({ port: server.port, metrics: async () => ({ body: '', contentType: 'text/plain' }), probes: {} })).rejects.toThrow(/EADDRINUSE/);
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    await server.close();
    server = undefined;
    await new Promise((resolve) => socket.once('close', resolve));
  });
});
