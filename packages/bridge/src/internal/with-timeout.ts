import { AgentbusError, ERROR_CODES } from '@agentbus/schema';

/** `promise`, or a TIMEOUT error after `ms`; the promise itself keeps running (it cannot be cancelled). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AgentbusError(ERROR_CODES.TIMEOUT, `${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
