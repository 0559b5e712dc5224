import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BACKEND_ENV } from './internal/backend-plan';
import { detectDocker } from './internal/docker-probe';
import { respCommand, ping } from './internal/resp';
import { REDIS_PRESETS, type RedisPresetName } from './redis-presets';
import { startRedis } from './redis-server';
import type { RedisServer } from './types';

// Probed while the file is collected, so that it registers either the Docker test or the test
// that Docker is not there: nothing is ever skipped (CI refuses skips, .ci/allowed-skips.txt).
const dockerAnswers = await detectDocker();

const started: RedisServer[] = [];
async function start(...args: Parameters<typeof startRedis>): Promise<RedisServer> {
  const server = await startRedis(...args);
  started.push(server);
  return server;
}

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

/** The redis-server binary, whatever this machine would pick by default: the tests below are its. */
function binary(preset: RedisPresetName = 'default'): Promise<RedisServer> {
  return start({ ...REDIS_PRESETS[preset], backend: 'binary' });
}

describe('startRedis', () => {
  // Both choose by themselves: AGENTBUS_TEST_BACKEND, which would force a backend, is cleared.
  if (dockerAnswers) {
    it(
      'with a Docker engine answering, in a container: keeps durable AOF data across kill -9 and restart, hangs on SIGSTOP, stops once',
      async () => {
        vi.stubEnv(BACKEND_ENV, '');
        const server = await start('durable');
        expect(server).toMatchObject({ kind: 'testcontainers', pid: undefined, dataDir: undefined });
        expect(server.url).toBe(`redis://${server.host}:${server.port}`);
        expect(await respCommand(server, ['CONFIG', 'GET', 'appendfsync'])).toEqual(['appendfsync', 'always']);
        await respCommand(server, ['SET', 'survivor', 'yes']);
        await server.kill();
        expect(await ping(server, 500)).toBe(false);
        await server.restart();
        await vi.waitFor(async () => expect(await ping(server)).toBe(true), { timeout: 30_000, interval: 200 });
        expect(await respCommand(server, ['GET', 'survivor'])).toBe('yes');
        await server.kill('SIGSTOP');
        expect(await ping(server, 500)).toBe(false);
        await server.kill('SIGCONT');
        expect(await ping(server)).toBe(true);
        // The address as it was: a stopped container has no mapped port to read.
        const address = { host: server.host, port: server.port };
        await server.stop();
        await server.stop();
        expect(await ping(address, 500)).toBe(false);
      },
      // Pulling the image on a cold machine takes most of it.
      300_000,
    );
  } else {
    it('with no Docker engine answering: the binary is picked, and a container is refused saying why', async () => {
      vi.stubEnv(BACKEND_ENV, '');
      expect((await start()).kind).toBe('binary');
      await expect(startRedis({ backend: 'testcontainers' })).rejects.toThrow(
        'AGENTBUS_TEST_BACKEND=testcontainers, but no Docker engine answers: start Docker or unset AGENTBUS_TEST_BACKEND',
      );
    });
  }

  it('from the binary: a redis-server process on a loopback port', async () => {
    const server = await binary();
    expect(server.kind).toBe('binary');
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(server.pid).toBeGreaterThan(0);
    expect(await respCommand(server, ['PING'])).toBe('PONG');
    expect(await respCommand(server, ['CONFIG', 'GET', 'appendonly'])).toEqual(['appendonly', 'no']);
  });

  it('keeps AOF data across kill -9 and restart on the same port (durable preset)', async () => {
    const server = await binary('durable');
    expect(await respCommand(server, ['CONFIG', 'GET', 'appendfsync'])).toEqual(['appendfsync', 'always']);
    await respCommand(server, ['SET', 'survivor', 'yes']);
    const firstPid = server.pid;
    await server.kill();
    expect(server.pid).toBeUndefined();
    expect(await ping(server, 200)).toBe(false);
    await server.restart();
    expect(server.pid).not.toBe(firstPid);
    expect(await respCommand(server, ['GET', 'survivor'])).toBe('yes');
  });

  it('restarts a running server gracefully, keeping everysec AOF data', async () => {
    const server = await binary('everysec');
    await respCommand(server, ['SET', 'k', 'v']);
    await server.restart();
    expect(await respCommand(server, ['GET', 'k'])).toBe('v');
  });

  it('pauses with SIGSTOP and resumes with SIGCONT, for hang tests', async () => {
    const server = await binary();
    await server.kill('SIGSTOP');
    expect(await ping(server, 200)).toBe(false);
    await server.kill('SIGCONT');
    expect(await ping(server)).toBe(true);
  });

  it('applies the tinyMemory preset and extra args', async () => {
    const server = await start({ maxmemory: '8mb', maxmemoryPolicy: 'noeviction', extraArgs: ['--hz', '20'], backend: 'binary' });
    expect(await respCommand(server, ['CONFIG', 'GET', 'maxmemory'])).toEqual(['maxmemory', String(8 * 1024 * 1024)]);
    expect(await respCommand(server, ['CONFIG', 'GET', 'hz'])).toEqual(['hz', '20']);
    const tiny = await binary('tinyMemory');
    expect(await respCommand(tiny, ['CONFIG', 'GET', 'maxmemory-policy'])).toEqual(['maxmemory-policy', 'noeviction']);
  });

  it('removes its data dir on stop, stops idempotently, and refuses to restart after', async () => {
    const server = await startRedis({ ...REDIS_PRESETS.durable, backend: 'binary' });
    expect(server.dataDir && existsSync(server.dataDir)).toBe(true);
    await server.stop();
    await server.stop();
    expect(existsSync(server.dataDir!)).toBe(false);
    expect(await ping(server, 200)).toBe(false);
    await expect(server.restart()).rejects.toThrow(/after stop/);
  });

  it('reports why redis-server would not start', async () => {
    await expect(start({ extraArgs: ['--no-such-option', 'x'], backend: 'binary' })).rejects.toThrow(/redis-server on .* exited/);
  });

  it('uses REDIS_URL as an external server it does not own', async () => {
    const owned = await binary();
    vi.stubEnv('REDIS_URL', owned.url);
    const external = await startRedis({ backend: 'external' });
    expect(external).toMatchObject({ kind: 'external', url: owned.url, host: '127.0.0.1', port: owned.port, pid: undefined });
    await expect(external.kill()).rejects.toThrow(/external server \(REDIS_URL\)/);
    await expect(external.restart()).rejects.toThrow(/cannot restart/);
    await external.stop();
    expect(await ping(owned)).toBe(true);
    vi.stubEnv('REDIS_URL', 'redis://example.invalid');
    expect((await startRedis({ backend: 'external' })).port).toBe(6379);
  });

  it('rejects unknown preset names and forced backends it cannot honour', async () => {
    // @ts-expect-error not a preset
    await expect(startRedis('nope')).rejects.toThrow(/unknown Redis preset "nope": use one of default, durable/);
    vi.stubEnv('REDIS_URL', '');
    await expect(startRedis({ backend: 'external' })).rejects.toThrow('AGENTBUS_TEST_BACKEND=external, but REDIS_URL is not set');
  });
});
