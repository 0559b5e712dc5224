import { packageTestConfig } from '../../vitest.shared';

// The entry points only parse argv and wire signals; what they run is tested in process.
export default packageTestConfig({
  globalSetup: ['./test/global-setup.ts'],
  coverageExclude: ['src/main.ts', 'src/cli/main.ts', 'src/demo/main.ts'],
  testTimeout: 30_000,
});
