// Public API of @agentbus/test-utils: real servers for tests. Explicit named exports only.
export { startRedis } from './redis-server';
export { startPostgres } from './postgres-server';
export { startRedisCluster } from './redis-cluster';
export { startRedisSentinel } from './redis-sentinel';
export type { RedisSentinel, RedisSentinelOptions } from './redis-sentinel';
export { REDIS_PRESETS } from './redis-presets';
export type { RedisPresetName } from './redis-presets';
export { TestBackendUnavailableError } from './backend-unavailable-error';
export { uniquePrefix } from './unique-prefix';
export { freePort } from './internal/free-port';
export { testTool } from './required-tool';
export type { TestToolOptions } from './required-tool';
export { spawnTs, outputLines, exited } from './ts-process';
export { startOtlpCollector } from './otlp-collector';
export type { OtlpCollector, CollectedSpan, CollectorRequest } from './otlp-collector';
export {
  redisGlobalSetup,
  postgresGlobalSetup,
  redisClusterGlobalSetup,
  setupRedisForVitest,
  setupPostgresForVitest,
  setupRedisClusterForVitest,
  getTestRedisUrl,
  getTestDatabaseUrl,
  getTestRedisClusterNodes,
} from './vitest-setup';
export type { VitestGlobalSetup, VitestGlobalSetupContext } from './vitest-setup';
export type {
  AppendFsync,
  BackendKind,
  MaxmemoryPolicy,
  PostgresServer,
  PostgresServerOptions,
  RedisCluster,
  RedisClusterNode,
  RedisClusterOptions,
  RedisServer,
  RedisServerOptions,
} from './types';
