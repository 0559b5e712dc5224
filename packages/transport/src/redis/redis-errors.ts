import { AgentbusError, ERROR_CODES, isAgentbusError } from '@agentbus/schema';

/**
 * The one place Redis and ioredis errors become AgentbusErrors, with a message a person can act
 * on: what happened, where, and which setting to check.
 */
export function toAgentbusError(error: unknown, where = 'Redis'): AgentbusError {
  if (isAgentbusError(error)) return error as AgentbusError;
  const e = error instanceof Error ? error : new Error(String(error));
  const text = `${e.message} ${(e as { code?: string }).code ?? ''}`;
  if (/ECONNREFUSED/.test(text)) {
    return new AgentbusError(
      ERROR_CODES.CONNECTION_FAILED,
      `cannot connect to ${where}: connection refused. Is redis-server running there? Check REDIS_URL`,
      { cause: e },
    );
  }
  if (/ENOTFOUND|EAI_AGAIN/.test(text)) {
    return new AgentbusError(
      ERROR_CODES.CONNECTION_FAILED,
      `cannot resolve the host of ${where}. Check the host name in REDIS_URL`,
      { cause: e },
    );
  }
  if (/WRONGPASS|NOAUTH|invalid username-password|invalid password/i.test(text)) {
    return new AgentbusError(
      ERROR_CODES.AUTH_FAILED,
      `${where} rejected the credentials (${e.message.split('\n')[0]}). Check the user and password in REDIS_URL`,
      { cause: e },
    );
  }
  if (/WRONG_VERSION_NUMBER|wrong version number|packet length too long|EPROTO|ssl3_get_record|TLS/i.test(text)) {
    return new AgentbusError(
      ERROR_CODES.TLS_FAILED,
      `TLS handshake with ${where} failed (${e.message}). A rediss:// URL against a plain port? Use redis:// for a server without TLS, or check the tls options`,
      { cause: e },
    );
  }
  if (/^WRONGTYPE/.test(e.message)) {
    return new AgentbusError(
      ERROR_CODES.WRONG_TYPE,
      `a key holds a value of another type than this operation needs (${e.message}). Another program writes under the same REDIS_NAMESPACE? Run remediation or choose another namespace`,
      { cause: e },
    );
  }
  if (/^NOGROUP/.test(e.message)) {
    return new AgentbusError(ERROR_CODES.NOT_FOUND, `consumer group or stream missing: ${e.message}`, { cause: e });
  }
  if (/timed out|ETIMEDOUT/i.test(text)) {
    return new AgentbusError(
      ERROR_CODES.TIMEOUT,
      `${where} did not answer in time (${e.message}). Check the server load, or raise commandTimeoutMs`,
      { cause: e },
    );
  }
  if (/Connection is closed|MaxRetriesPerRequest|ECONNRESET|EPIPE|Stream isn't writeable|CLUSTERDOWN|LOADING|TRYAGAIN/i.test(text)) {
    return new AgentbusError(
      ERROR_CODES.CONNECTION_FAILED,
      `lost the connection to ${where} (${e.message.split('\n')[0]}). It retries with backoff; raise maxRetriesPerRequest to wait longer`,
      { cause: e },
    );
  }
  return new AgentbusError(ERROR_CODES.INTERNAL, `${where} answered an error: ${e.message}`, { cause: e });
}
