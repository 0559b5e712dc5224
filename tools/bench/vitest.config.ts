import { packageTestConfig } from '../../vitest.shared';

// The benches themselves are exercised by running them (`npm run bench -- streams`); the unit
// tests cover the helpers (stats, arguments), so the coverage floor is low.
export default packageTestConfig({ lines: 15 });
