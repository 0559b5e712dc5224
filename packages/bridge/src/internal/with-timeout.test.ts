import { expect, it } from 'vitest';
import { withTimeout } from './with-timeout';

it('passes the result through, or fails with TIMEOUT', async () => {
  await expect(withTimeout(Promise.resolve(1), 50, 'x')).resolves.toBe(1);
  await expect(withTimeout(new Promise(() => undefined), 10, 'the thing')).rejects.toMatchObject({
    code: 'TIMEOUT',
    message: 'the thing did not finish within 10 ms',
  });
});
