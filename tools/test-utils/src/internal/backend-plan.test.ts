import { describe, expect, it } from 'vitest';
import { TestBackendUnavailableError } from '../backend-unavailable-error';
import {
  missingMessage,
  planBackend,
  POSTGRES_SERVICE,
  REDIS_CLUSTER_SERVICE,
  REDIS_SERVICE,
  type BackendProbes,
} from './backend-plan';

/** A machine described by what it has, instead of uninstalling things. */
function machine(has: { docker?: boolean; binary?: boolean; apt?: boolean; env?: Record<string, string> } = {}): BackendProbes & { dockerChecks: number } {
  const probes = {
    dockerChecks: 0,
    env: has.env ?? {},
    dockerAnswers: async () => {
      probes.dockerChecks += 1;
      return has.docker ?? false;
    },
    binaryFound: () => has.binary ?? false,
    canAptInstall: () => has.apt ?? false,
  };
  return probes;
}

describe('planBackend', () => {
  it('prefers Docker, then the binary, then the URL, then installing', async () => {
    const all = { docker: true, binary: true, apt: true, env: { REDIS_URL: 'redis://x:1' } };
    expect(await planBackend(REDIS_SERVICE, machine(all))).toEqual({ kind: 'testcontainers' });
    expect(await planBackend(REDIS_SERVICE, machine({ ...all, docker: false }))).toEqual({ kind: 'binary', install: false });
    expect(await planBackend(REDIS_SERVICE, machine({ ...all, docker: false, binary: false }))).toEqual({ kind: 'external', url: 'redis://x:1' });
    expect(await planBackend(REDIS_SERVICE, machine({ apt: true }))).toEqual({ kind: 'binary', install: true });
  });

  it('never asks Docker for a cluster', async () => {
    const probes = machine({ docker: true, binary: true });
    expect(await planBackend(REDIS_CLUSTER_SERVICE, probes)).toEqual({ kind: 'binary', install: false });
    expect(probes.dockerChecks).toBe(0);
  });

  it('stops with one line naming what to install when nothing can be had', async () => {
    const failure = planBackend(REDIS_SERVICE, machine());
    await expect(failure).rejects.toBeInstanceOf(TestBackendUnavailableError);
    await expect(failure).rejects.toThrow(
      'agentbus tests need Redis: apt-get install redis-server redis-tools, or start Docker, or set REDIS_URL',
    );
    const error = await failure.then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).not.toContain('\n');
    expect(error?.stack).toBe(`TestBackendUnavailableError: ${error?.message}`);
    expect(missingMessage(POSTGRES_SERVICE)).toBe('agentbus tests need PostgreSQL: apt-get install postgresql, or start Docker, or set DATABASE_URL');
    expect(missingMessage(REDIS_CLUSTER_SERVICE)).toBe(
      'agentbus tests need a Redis Cluster: apt-get install redis-server redis-tools, or set REDIS_CLUSTER_NODES',
    );
  });

  describe('AGENTBUS_TEST_BACKEND', () => {
    const forced = (value: string, has: Parameters<typeof machine>[0] = {}): BackendProbes =>
      machine({ ...has, env: { ...has.env, AGENTBUS_TEST_BACKEND: value } });

    it('forces the binary even when Docker answers, installing it if need be', async () => {
      expect(await planBackend(REDIS_SERVICE, forced('binary', { docker: true, binary: true }))).toEqual({ kind: 'binary', install: false });
      expect(await planBackend(REDIS_SERVICE, forced('binary', { apt: true }))).toEqual({ kind: 'binary', install: true });
      await expect(planBackend(REDIS_SERVICE, forced('binary'))).rejects.toThrow(
        'AGENTBUS_TEST_BACKEND=binary, but Redis is not installed: apt-get install redis-server redis-tools',
      );
    });

    it('forces testcontainers only where a Docker engine answers', async () => {
      expect(await planBackend(REDIS_SERVICE, forced('testcontainers', { docker: true }))).toEqual({ kind: 'testcontainers' });
      await expect(planBackend(REDIS_SERVICE, forced('testcontainers', { binary: true }))).rejects.toThrow(/no Docker engine answers/);
      await expect(planBackend(REDIS_CLUSTER_SERVICE, forced('testcontainers', { docker: true }))).rejects.toThrow(
        /has no testcontainers backend/,
      );
    });

    it('forces the external URL even when a binary is there', async () => {
      const env = { DATABASE_URL: 'postgres://u@h/db' };
      expect(await planBackend(POSTGRES_SERVICE, forced('external', { binary: true, env }))).toEqual({ kind: 'external', url: env.DATABASE_URL });
      await expect(planBackend(POSTGRES_SERVICE, forced('external', { binary: true }))).rejects.toThrow(
        'AGENTBUS_TEST_BACKEND=external, but DATABASE_URL is not set',
      );
    });

    it('rejects values it does not know, and yields to an explicit override', async () => {
      await expect(planBackend(REDIS_SERVICE, forced('docker'))).rejects.toThrow(
        'AGENTBUS_TEST_BACKEND must be binary, testcontainers or external (got "docker")',
      );
      expect(await planBackend(REDIS_SERVICE, forced('docker', { binary: true }), 'binary')).toEqual({ kind: 'binary', install: false });
    });
  });
});
