import { redisGlobalSetup } from '@agentbus/test-utils';

/** One Redis for the run; every test uses its own namespace. */
export default redisGlobalSetup();
