import { redisClusterGlobalSetup, redisGlobalSetup, type VitestGlobalSetupContext } from '@agentbus/test-utils';

/** One Redis and one 3-master Redis Cluster for the whole run. */
export default async function setup(context: VitestGlobalSetupContext): Promise<() => Promise<void>> {
  const stopRedis = await redisGlobalSetup()(context);
  try {
    const stopCluster = await redisClusterGlobalSetup({ masters: 3 })(context);
    return async () => {
      await stopCluster();
      await stopRedis();
    };
  } catch (error) {
    await stopRedis();
    throw error;
  }
}
