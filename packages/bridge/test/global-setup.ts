import { postgresGlobalSetup, redisGlobalSetup, type VitestGlobalSetupContext } from '@agentbus/test-utils';

const redis = redisGlobalSetup();
const postgres = postgresGlobalSetup();

/**
 * One Redis and one PostgreSQL for the run; each test file makes its own database on it, and
 * the fault tests start their own Redis where they kill or restart it.
 */
export default async function setup(context: VitestGlobalSetupContext): Promise<() => Promise<void>> {
  const [stopRedis, stopPostgres] = await Promise.all([redis(context), postgres(context)]);
  return async () => {
    await Promise.all([stopRedis(), stopPostgres()]);
  };
}
