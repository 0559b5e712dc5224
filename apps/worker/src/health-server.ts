import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthSource {
  /** Alive and reading. */
  live(): boolean;
  /** Its backend answers. */
  ready(): Promise<{ ok: boolean; detail: unknown }>;
  /** Prometheus text and its content type. */
  metrics(): Promise<{ body: string; contentType: string }>;
}

export interface HealthServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A small HTTP side for probes and scrapes: /health, /health/ready, /metrics. */
export async function startHealthServer(source: HealthSource, port: number, host: string): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const send = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    const route = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return send(405, JSON.stringify({ error: 'GET only' }));
    if (route === '/health') {
      const live = source.live();
      return send(live ? 200 : 503, JSON.stringify({ status: live ? 'ok' : 'stopping' }));
    }
    if (route === '/health/ready') {
      source
        .ready()
        .then((r) => send(r.ok ? 200 : 503, JSON.stringify({ status: r.ok ? 'ready' : 'unavailable', detail: r.detail })))
        .catch((e: unknown) => send(503, JSON.stringify({ status: 'unavailable', detail: String(e) })));
      return;
    }
    if (route === '/metrics') {
      source
        .metrics()
        .then((m) => send(200, m.body, m.contentType))
        .catch((e: unknown) => send(500, JSON.stringify({ error: String(e) })));
      return;
    }
    send(404, JSON.stringify({ error: `no route ${route}; try /health, /health/ready, /metrics` }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${bound}`,
    port: bound,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
