import { packageTestConfig } from '../../vitest.shared';

// main.ts only reads the environment and starts a hub: the tests run it as a child process.
export default packageTestConfig({
  globalSetup: ['./test/global-setup.ts'],
  coverageExclude: ['src/main.ts'],
  testTimeout: 30_000,
});
