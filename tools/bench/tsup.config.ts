import { packageBuildConfig } from '../../tsup.shared';

// One executable entry, no .d.ts. bullmq is a devDependency (tsup would bundle it): keep it external.
export default packageBuildConfig({ entry: ['src/cli.ts'], dts: false, external: ['bullmq'] });
