import { packageTestConfig } from '../../vitest.shared';

export default packageTestConfig({
  // The package tests its own vitest wiring: one Redis for the run, provided as `redisUrl`.
  globalSetup: ['./vitest.global-setup.ts'],
  // The testcontainers adapters only run where a Docker engine answers; CI boxes without one
  // cannot execute them, so they would hold the line coverage hostage to the machine.
  coverageExclude: ['src/internal/*-container.ts'],
});
