import { packageTestConfig } from '../../vitest.shared';

export default packageTestConfig({
  // The package tests its own vitest wiring: one Redis for the run, provided as `redisUrl`.
  globalSetup: ['./vitest.global-setup.ts'],
});
