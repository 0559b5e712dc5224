import { packageTestConfig } from '../../vitest.shared';

export default packageTestConfig({
  globalSetup: ['./test/global-setup.ts'],
  // The shared suite is test code that lives in src/ so both backends' tests can import it.
  coverageExclude: ['src/conformance/**'],
  testTimeout: 30_000,
});
