import { redisGlobalSetup } from '@agentbus/test-utils';

/** One Redis for the whole run; every test file uses its own namespace (uniquePrefix). */
export default redisGlobalSetup();
