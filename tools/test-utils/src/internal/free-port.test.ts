import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { CLUSTER_BUS_OFFSET, freeClusterPort, freePort, isPortFree } from './free-port';

describe('free ports', () => {
  it('hands out a loopback port nothing listens on', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(await isPortFree(port)).toBe(true);
  });

  it('sees a port in use as not free', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    expect(await isPortFree(port)).toBe(false);
    server.close();
  });

  it('finds cluster ports whose bus port is free too, avoiding ones already taken', async () => {
    const taken = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const port = await freeClusterPort(taken);
      expect(port + CLUSTER_BUS_OFFSET).toBeLessThanOrEqual(65_535);
      expect(taken.has(port)).toBe(false);
      expect(await isPortFree(port + CLUSTER_BUS_OFFSET)).toBe(true);
      taken.add(port).add(port + CLUSTER_BUS_OFFSET);
    }
  });

  it('gives up with a message when no pair can be found', async () => {
    await expect(freeClusterPort(new Set(), '192.0.2.1')).rejects.toThrow();
  });
});
