import { packageTestConfig } from '../../vitest.shared';

// The launcher's code runs in child processes (what `npm start` runs), so in-process coverage
// cannot see it: the tests assert behaviour instead.
export default packageTestConfig({ lines: 0, testTimeout: 60_000 });
