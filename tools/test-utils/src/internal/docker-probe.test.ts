import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectDocker, dockerEngineAnswers, dockerSocketCandidates, pingDockerSocket } from './docker-probe';

// Made in beforeAll, not at import: `vitest list` imports test files without running hooks.
let root = '';
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'agentbus-docker-probe-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A stand-in engine on a unix socket: answers /_ping with `status`, or never answers. */
async function engine(name: string, status: number | 'hang'): Promise<{ socket: string; close: () => void }> {
  const socket = path.join(root, name);
  const server = http.createServer((req, res) => {
    if (status === 'hang') return;
    res.statusCode = req.url === '/_ping' ? status : 404;
    res.end('OK');
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return { socket, close: () => server.closeAllConnections() ?? server.close() };
}

describe('docker probe', () => {
  it('lists the Docker Engine, rootless and Desktop sockets', () => {
    expect(dockerSocketCandidates({ XDG_RUNTIME_DIR: '/run/user/1000', HOME: '/home/u' })).toEqual([
      '/var/run/docker.sock',
      '/run/user/1000/docker.sock',
      '/home/u/.docker/run/docker.sock',
    ]);
  });

  it('needs a socket that answers /_ping with 200 in time', async () => {
    const good = await engine('good.sock', 200);
    const broken = await engine('broken.sock', 500);
    const hung = await engine('hung.sock', 'hang');
    // An answer is awaited up to a bound no stall reaches (it returns as soon as one comes);
    // only the hung engine waits out its timeout.
    expect(await pingDockerSocket(good.socket, 10_000)).toBe(true);
    expect(await pingDockerSocket(broken.socket, 10_000)).toBe(false);
    expect(await pingDockerSocket(hung.socket, 100)).toBe(false);
    expect(await pingDockerSocket(path.join(root, 'absent.sock'))).toBe(false);
    // One timeout for every socket: long enough for the good one to answer through a stall.
    expect(await dockerEngineAnswers({}, [path.join(root, 'absent.sock'), hung.socket, good.socket], 1_000)).toBe(true);
    expect(await dockerEngineAnswers({}, [broken.socket], 100)).toBe(false);
    for (const e of [good, broken, hung]) e.close();
  });

  it('trusts DOCKER_HOST as set', async () => {
    expect(await dockerEngineAnswers({ DOCKER_HOST: 'tcp://docker:2375' }, [])).toBe(true);
  });

  it('probes this machine once', async () => {
    const first = detectDocker();
    expect(detectDocker()).toBe(first);
    expect(typeof (await first)).toBe('boolean');
  });
});
