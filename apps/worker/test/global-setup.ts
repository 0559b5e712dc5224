import { redisGlobalSetup } from '@agentbus/test-utils';

/** One Redis for the run; fault tests start their own servers where they kill or restart them. */
export default redisGlobalSetup();
