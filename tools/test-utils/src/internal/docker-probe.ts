import { existsSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Env } from './find-binary';

/** Where Docker Engine, rootless Docker and Docker Desktop put their API socket. */
export function dockerSocketCandidates(env: Env = process.env): string[] {
  const candidates = ['/var/run/docker.sock'];
  if (env.XDG_RUNTIME_DIR) candidates.push(path.join(env.XDG_RUNTIME_DIR, 'docker.sock'));
  candidates.push(path.join(env.HOME ?? os.homedir(), '.docker', 'run', 'docker.sock'));
  return candidates;
}

/** True when the engine behind `socketPath` answers GET /_ping with 200 within the timeout. */
export function pingDockerSocket(socketPath: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get({ socketPath, path: '/_ping', timeout: timeoutMs }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => {
      request.destroy();
      resolve(false);
    });
    request.on('error', () => resolve(false));
  });
}

/**
 * Whether a Docker engine is there for testcontainers. A socket file alone is not enough (a
 * stopped Docker Desktop leaves it behind), so it must answer /_ping. DOCKER_HOST is trusted
 * as set: it may name a TCP or SSH engine this probe cannot reach cheaply.
 */
export async function dockerEngineAnswers(env: Env = process.env, sockets: readonly string[] = dockerSocketCandidates(env), timeoutMs = 1_000): Promise<boolean> {
  if (env.DOCKER_HOST) return true;
  for (const socket of sockets) {
    if (existsSync(socket) && (await pingDockerSocket(socket, timeoutMs))) return true;
  }
  return false;
}

let cached: Promise<boolean> | undefined;

/** dockerEngineAnswers for this process's environment, probed once. */
export function detectDocker(): Promise<boolean> {
  cached ??= dockerEngineAnswers();
  return cached;
}
