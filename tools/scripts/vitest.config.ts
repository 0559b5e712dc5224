import { packageTestConfig } from '../../vitest.shared';

export default packageTestConfig({
  // The tests assert behaviour instead, on the real processes.
  noCoverage: 'the launcher (start-all.ts, the .mjs shims) runs only in the child processes the tests start, as npm start does',
  testTimeout: 60_000,
});
