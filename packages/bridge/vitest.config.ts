import { packageTestConfig } from '../../vitest.shared';

export default packageTestConfig({
  globalSetup: ['./test/global-setup.ts'],
  testTimeout: 60_000,
  // The bin entry only parses process.argv and calls runCli, which the tests run in-process.
  coverageExclude: ['src/cli.ts'],
});
