import { packageBuildConfig } from '../../tsup.shared';

// The library (the typed client, createChatHub) and the `agentbus-chat-hub` executable.
export default packageBuildConfig({ entry: ['src/index.ts', 'src/main.ts'] });
