import { AgentbusError, ERROR_CODES } from '@agentbus/schema';

/** What Redis answers with NOGROUP, as the Redis backend maps it (NOT_FOUND). */
export function noGroupError(stream: string, group: string): AgentbusError {
  return new AgentbusError(
    ERROR_CODES.NOT_FOUND,
    `consumer group or stream missing: NOGROUP No such key '${stream}' or consumer group '${group}'`,
  );
}

export function invalidArgument(message: string): AgentbusError {
  return new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, message);
}
