import { packageBuildConfig } from '../../tsup.shared';

// Two entries: the library, and the `agentbus-bridge` CLI (migrate | relay).
export default packageBuildConfig({ entry: ['src/index.ts', 'src/cli.ts'] });
