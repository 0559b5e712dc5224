import { packageBuildConfig } from '../../tsup.shared';

export default packageBuildConfig({
  entry: {
    index: 'src/index.ts',
    client: 'src/client/index.ts',
    main: 'src/main.ts',
    cli: 'src/cli/main.ts',
    demo: 'src/demo/main.ts',
  },
  dts: { entry: { index: 'src/index.ts', client: 'src/client/index.ts' } },
});
