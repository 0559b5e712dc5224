import { formatClusterNodes, parseClusterNodes } from './internal/cluster-nodes';
import { startPostgres } from './postgres-server';
import { startRedisCluster } from './redis-cluster';
import type { RedisPresetName } from './redis-presets';
import { startRedis } from './redis-server';
import type { PostgresServerOptions, RedisClusterNode, RedisClusterOptions, RedisServerOptions } from './types';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by setupRedisForVitest / redisGlobalSetup. */
    redisUrl: string;
    /** Set by setupPostgresForVitest / postgresGlobalSetup. */
    databaseUrl?: string;
    /** "host:port,host:port"; set by setupRedisClusterForVitest / redisClusterGlobalSetup. */
    redisClusterNodes?: string;
  }
}

/**
 * What a vitest 3 globalSetup receives (a TestProject) as far as the harness needs it. Kept
 * structural so this package does not import vitest/node, and so tests can pass a plain object.
 */
export interface VitestGlobalSetupContext {
  provide(key: 'redisUrl', value: string): void;
  provide(key: 'databaseUrl' | 'redisClusterNodes', value: string | undefined): void;
}

/** A vitest globalSetup default export: starts a server, provides its address, returns teardown. */
export type VitestGlobalSetup = (context: VitestGlobalSetupContext) => Promise<() => Promise<void>>;

/** A globalSetup starting one Redis for the whole run and providing 'redisUrl'. */
export function redisGlobalSetup(options?: RedisServerOptions | RedisPresetName): VitestGlobalSetup {
  return async (context) => {
    const server = await startRedis(options);
    context.provide('redisUrl', server.url);
    return () => server.stop();
  };
}

/** A globalSetup starting one PostgreSQL for the whole run and providing 'databaseUrl'. */
export function postgresGlobalSetup(options?: PostgresServerOptions): VitestGlobalSetup {
  return async (context) => {
    const server = await startPostgres(options);
    context.provide('databaseUrl', server.url);
    return () => server.stop();
  };
}

/** A globalSetup starting one Redis Cluster for the whole run and providing 'redisClusterNodes'. */
export function redisClusterGlobalSetup(options?: RedisClusterOptions): VitestGlobalSetup {
  return async (context) => {
    const cluster = await startRedisCluster(options);
    context.provide('redisClusterNodes', formatClusterNodes(cluster.nodes));
    return () => cluster.stop();
  };
}

/** `export default setupRedisForVitest` in a package's vitest globalSetup file. */
export const setupRedisForVitest: VitestGlobalSetup = redisGlobalSetup();
export const setupPostgresForVitest: VitestGlobalSetup = postgresGlobalSetup();
export const setupRedisClusterForVitest: VitestGlobalSetup = redisClusterGlobalSetup();

/**
 * vitest's inject, loaded on first use: importing 'vitest' at module load throws outside a
 * test worker, and this module is also imported by globalSetup files in the main process.
 */
async function injected<K extends 'redisUrl' | 'databaseUrl' | 'redisClusterNodes'>(key: K, setup: string): Promise<string> {
  const { inject } = await import('vitest');
  const value = inject(key);
  if (value === undefined || value === '') {
    throw new Error(`no '${key}' provided: add a globalSetup file exporting ${setup} from @agentbus/test-utils to this package's vitest config`);
  }
  return value;
}

/** The Redis URL the run's globalSetup provided; await it in tests or hooks. */
export function getTestRedisUrl(): Promise<string> {
  return injected('redisUrl', 'setupRedisForVitest');
}

/** The PostgreSQL URL the run's globalSetup provided; await it in tests or hooks. */
export function getTestDatabaseUrl(): Promise<string> {
  return injected('databaseUrl', 'setupPostgresForVitest');
}

/** The Redis Cluster nodes the run's globalSetup provided; await it in tests or hooks. */
export async function getTestRedisClusterNodes(): Promise<RedisClusterNode[]> {
  return parseClusterNodes(await injected('redisClusterNodes', 'setupRedisClusterForVitest'));
}
