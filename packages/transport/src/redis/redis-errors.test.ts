import { describe, expect, it } from 'vitest';
import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import { toAgentbusError } from './redis-errors';

describe('toAgentbusError', () => {
  const cases: Array<[string, Error, string, RegExp]> = [
    ['refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), ERROR_CODES.CONNECTION_FAILED, /REDIS_URL/],
    ['unknown host', new Error('getaddrinfo ENOTFOUND nohost'), ERROR_CODES.CONNECTION_FAILED, /host name in REDIS_URL/],
    ['wrong password', new Error('WRONGPASS invalid username-password pair or user is disabled.'), ERROR_CODES.AUTH_FAILED, /user and password in REDIS_URL/],
    ['no auth', new Error('NOAUTH Authentication required.'), ERROR_CODES.AUTH_FAILED, /REDIS_URL/],
    ['tls on plain port', new Error('write EPROTO 00:error:0A00010B:SSL routines:ssl3_get_record:wrong version number'), ERROR_CODES.TLS_FAILED, /redis:\/\//],
    ['wrong type', new Error('WRONGTYPE Operation against a key holding the wrong kind of value'), ERROR_CODES.WRONG_TYPE, /REDIS_NAMESPACE/],
    ['no group', new Error("NOGROUP No such key 'x' or consumer group 'g'"), ERROR_CODES.NOT_FOUND, /group/],
    ['timeout', new Error('Command timed out'), ERROR_CODES.TIMEOUT, /commandTimeoutMs/],
    ['closed', new Error('Connection is closed.'), ERROR_CODES.CONNECTION_FAILED, /maxRetriesPerRequest/],
    ['other', new Error('ERR something odd'), ERROR_CODES.INTERNAL, /something odd/],
  ];
  it.each(cases)('%s: a typed error that says what to change', (_n, error, code, hint) => {
    const mapped = toAgentbusError(error, 'Redis at 127.0.0.1:1');
    expect(mapped).toBeInstanceOf(AgentbusError);
    expect(mapped.code).toBe(code);
    expect(mapped.message).toMatch(hint);
    expect(mapped.cause).toBe(error);
  });

  it('keeps an AgentbusError as it is, and wraps non-errors', () => {
    const e = new AgentbusError(ERROR_CODES.CLOSED, 'x');
    expect(toAgentbusError(e)).toBe(e);
    expect(toAgentbusError('boom').message).toMatch(/boom/);
  });

  it('says whether a retry may help', () => {
    expect(toAgentbusError(new Error('connect ECONNREFUSED')).retryable).toBe(true);
    expect(toAgentbusError(new Error('WRONGPASS x')).retryable).toBe(false);
  });
});
