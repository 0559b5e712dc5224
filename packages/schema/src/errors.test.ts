import { describe, expect, it } from 'vitest';
import {
  AgentbusError,
  ERROR_CODES,
  isAgentbusError,
  PayloadTooLargeError,
  ValidationError,
} from './errors';
import { err, ok, unwrap } from './result';

describe('errors', () => {
  it('carry a code, a cause and whether a retry may help', () => {
    const cause = new Error('ECONNREFUSED');
    const e = new AgentbusError(ERROR_CODES.CONNECTION_FAILED, 'down', { cause });
    expect(e.code).toBe('CONNECTION_FAILED');
    expect(e.cause).toBe(cause);
    expect(e.retryable).toBe(true);
    expect(new AgentbusError(ERROR_CODES.INVALID_MESSAGE, 'x').retryable).toBe(false);
  });

  it('INDETERMINATE is retryable and documented as safe to retry because publishes dedupe', () => {
    const e = new AgentbusError(ERROR_CODES.INDETERMINATE, 'may or may not have been written');
    expect(ERROR_CODES.INDETERMINATE).toBe('INDETERMINATE');
    expect(e.retryable).toBe(true);
    expect(isAgentbusError(Object.assign(new Error('x'), { code: 'INDETERMINATE' }))).toBe(true);
  });

  it('a validation error names the field and the rule in its message', () => {
    const e = new ValidationError('finding', [
      { path: 'confidence', rule: 'too_big', message: 'must be <= 1' },
      { path: 'claim', rule: 'invalid_type', message: 'required' },
    ]);
    expect(e.message).toBe('invalid finding: confidence: must be <= 1 [too_big] (+1 more)');
    expect(e.code).toBe(ERROR_CODES.INVALID_MESSAGE);
  });

  it('a size error names the option to change', () => {
    const e = new PayloadTooLargeError('envelope', 2000, 1000);
    expect(e.message).toMatch(/maxBytes/);
    expect(e.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('recognises agentbus errors, also from another copy of the package', () => {
    expect(isAgentbusError(new ValidationError('x', []))).toBe(true);
    const foreign = Object.assign(new Error('x'), { code: 'BACKPRESSURE' });
    expect(isAgentbusError(foreign)).toBe(true);
    expect(isAgentbusError(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(false);
    expect(isAgentbusError('BACKPRESSURE')).toBe(false);
  });

  it('unwrap returns the value or throws the typed error', () => {
    expect(unwrap(ok(3))).toBe(3);
    const e = new ValidationError('x', []);
    expect(() => unwrap(err(e))).toThrow(e);
  });
});
