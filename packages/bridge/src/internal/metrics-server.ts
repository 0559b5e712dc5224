import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the relay's HTTP side serves. */
export interface MetricsSource {
  /** Prometheus text exposition and the Content-Type to serve it with. */
  metrics(): Promise<{ body: string; contentType: string }>;
  /** The relay's state: `ok` gives 200, else 503; `body` is sent as JSON. */
  health(): { ok: boolean; body: unknown };
}

export interface MetricsServer {
  /** e.g. `http://127.0.0.1:9465`. */
  url: string;
  port: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/**
 * A small HTTP server (node:http, no framework) for scrapes and probes: GET /metrics, GET /health.
 * Resolves once it listens; rejects when it cannot (port in use, bad host).
 */
export async function startMetricsServer(source: MetricsSource, port: number, host: string): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const send = (status: number, body: string, type = 'application/json'): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const route = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return send(405, JSON.stringify({ error: 'GET only' }));
    if (route === '/health') {
      const h = source.health();
      return send(h.ok ? 200 : 503, JSON.stringify(h.body));
    }
    if (route === '/metrics') {
      source
        .metrics()
        .then((m) => send(200, m.body, m.contentType))
        .catch((e: unknown) => send(500, JSON.stringify({ error: String(e) })));
      return;
    }
    send(404, JSON.stringify({ error: `no route ${route}; try /metrics or /health` }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's keep-alive socket would hold close() open until it times out.
        server.closeAllConnections();
      }),
  };
}
