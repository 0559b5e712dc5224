import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentbusError, ERROR_CODES } from '@agentbus/schema';

/** A probe's answer: `ok` gives 200, else 503; `body` is sent as JSON. */
export interface ProbeResult {
  ok: boolean;
  body: unknown;
}

export interface ProbeServerOptions {
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Address to bind. Default `127.0.0.1`: exposing probes is a deployment's decision. */
  host?: string;
  /** Served at GET /metrics: the Prometheus text and its Content-Type (e.g. from `Metrics`). */
  metrics: () => Promise<{ body: string; contentType: string }>;
  /** Probe routes, e.g. `{ '/health': live, '/health/ready': ready }`: GET answers 200 or 503 with JSON. */
  probes: Readonly<Record<string, () => ProbeResult | Promise<ProbeResult>>>;
}

export const DEFAULT_PROBE_SERVER_OPTIONS = { host: '127.0.0.1' } as const satisfies Partial<ProbeServerOptions>;

export interface ProbeServer {
  /** e.g. `http://127.0.0.1:9464`. */
  url: string;
  port: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/**
 * The small HTTP side of a process for scrapes and probes (node:http, no framework): GET /metrics
 * and the given probe routes; 404 names the routes, anything but GET is a 405. Resolves once it
 * listens; rejects when it cannot (port in use, bad host).
 */
export async function startProbeServer(options: ProbeServerOptions): Promise<ProbeServer> {
  const host = options.host ?? DEFAULT_PROBE_SERVER_OPTIONS.host;
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65_535) {
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `startProbeServer: port must be 0-65535, got ${String(options.port)}`);
  }
  const routes = ['/metrics', ...Object.keys(options.probes)];
  const server = http.createServer((req, res) => {
    const send = (status: number, body: string, type = 'application/json'): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const fail = (status: number) => (e: unknown) => send(status, JSON.stringify({ error: e instanceof Error ? e.message : String(e) }));
    const route = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method !== 'GET') return send(405, JSON.stringify({ error: 'GET only' }));
    if (route === '/metrics') {
      options
        .metrics()
        .then((m) => send(200, m.body, m.contentType))
        .catch(fail(500));
      return;
    }
    const probe = Object.hasOwn(options.probes, route) ? options.probes[route] : undefined;
    if (probe) {
      Promise.resolve()
        .then(probe)
        .then((r) => send(r.ok ? 200 : 503, JSON.stringify(r.body)))
        .catch(fail(503));
      return;
    }
    send(404, JSON.stringify({ error: `no route ${route}; try ${routes.join(', ')}` }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's keep-alive socket would hold close() open until it times out.
        server.closeAllConnections();
      }),
  };
}
