import { redisGlobalSetup } from '@agentbus/test-utils';

/** One Redis for the whole run; tests keep apart by namespace (uniquePrefix). */
export default redisGlobalSetup();
