import pg from 'pg';
import { describe, expect, expectTypeOf, inject, it } from 'vitest';
import type { TestProject } from 'vitest/node';
import { ping, respCommand } from './internal/resp';
import {
  getTestDatabaseUrl,
  getTestRedisClusterNodes,
  getTestRedisUrl,
  postgresGlobalSetup,
  redisClusterGlobalSetup,
  redisGlobalSetup,
  setupPostgresForVitest,
  setupRedisClusterForVitest,
  setupRedisForVitest,
  type VitestGlobalSetupContext,
} from './index';

/** Collects what a globalSetup provides, standing in for vitest's TestProject. */
function project(): VitestGlobalSetupContext & { values: Record<string, string | undefined> } {
  const values: Record<string, string | undefined> = {};
  return {
    values,
    provide: (key: string, value: string | undefined) => {
      values[key] = value;
    },
  };
}

function endpoint(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

describe('vitest wiring', () => {
  it('fits where vitest 3 expects a globalSetup default export', () => {
    expectTypeOf(setupRedisForVitest).toExtend<(project: TestProject) => unknown>();
    expectTypeOf(setupPostgresForVitest).toExtend<(project: TestProject) => unknown>();
    expectTypeOf(setupRedisClusterForVitest).toExtend<(project: TestProject) => unknown>();
    expectTypeOf(inject('redisUrl')).toEqualTypeOf<string>();
  });

  it('hands tests the Redis this package\'s own globalSetup started', async () => {
    const url = await getTestRedisUrl();
    expect(url).toBe(inject('redisUrl'));
    expect(await respCommand(endpoint(url), ['PING'])).toBe('PONG');
  });

  it('says how to wire what was not provided', async () => {
    await expect(getTestDatabaseUrl()).rejects.toThrow(
      "no 'databaseUrl' provided: add a globalSetup file exporting setupPostgresForVitest from @agentbus/test-utils",
    );
    await expect(getTestRedisClusterNodes()).rejects.toThrow(/no 'redisClusterNodes' provided/);
  });

  it('redisGlobalSetup provides redisUrl and tears the server down', async () => {
    const context = project();
    const teardown = await redisGlobalSetup('durable')(context);
    const redis = endpoint(context.values.redisUrl!);
    expect(await respCommand(redis, ['CONFIG', 'GET', 'appendfsync'])).toEqual(['appendfsync', 'always']);
    await teardown();
    expect(await ping(redis, 200)).toBe(false);
  });

  it('postgresGlobalSetup provides databaseUrl and tears the server down', async () => {
    const context = project();
    const teardown = await postgresGlobalSetup()(context);
    const client = new pg.Client({ connectionString: context.values.databaseUrl });
    await client.connect();
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await client.end();
    await teardown();
  });

  it('redisClusterGlobalSetup provides redisClusterNodes and tears the cluster down', async () => {
    const context = project();
    const teardown = await redisClusterGlobalSetup()(context);
    const nodes = context.values.redisClusterNodes!.split(',');
    expect(nodes).toHaveLength(3);
    for (const node of nodes) {
      const [host, port] = node.split(':');
      expect(await respCommand({ host: host!, port: Number(port) }, ['CLUSTER', 'INFO'])).toMatch(/cluster_state:ok/);
    }
    await teardown();
  });
});
