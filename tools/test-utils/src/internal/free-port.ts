import net from 'node:net';

export const LOOPBACK = '127.0.0.1';

/** Redis Cluster talks node-to-node on the client port + 10000. */
export const CLUSTER_BUS_OFFSET = 10_000;

/** A port the OS just handed out on `host`; free now, though nothing reserves it. */
export function freePort(host: string = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not read the port the OS assigned'))));
    });
  });
}

export function isPortFree(port: number, host: string = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * A free port whose cluster bus port (port + 10000) is free as well, skipping any in `taken`
 * so the nodes of one cluster never collide with each other.
 */
export async function freeClusterPort(taken: ReadonlySet<number> = new Set(), host: string = LOOPBACK): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await freePort(host);
    const bus = port + CLUSTER_BUS_OFFSET;
    if (bus > 65_535 || taken.has(port) || taken.has(bus)) continue;
    if (await isPortFree(bus, host)) return port;
  }
  throw new Error('could not find a free port pair (port and port+10000) for a Redis Cluster node');
}
