import { packageBuildConfig } from '../../tsup.shared';

// testcontainers, pg and vitest are loaded from node_modules at run time: bundling them would
// drag dockerode and its optional native modules into dist.
export default packageBuildConfig({ skipNodeModulesBundle: true });
