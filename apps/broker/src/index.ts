// Public API of @agentbus/broker: the broker (createBroker), its HTTP client, the CLI and the demo.
export { createBroker } from './broker';
export type { Broker } from './broker';
export { DEFAULT_BROKER_OPTIONS } from './broker-options';
export type { BrokerOptions, BrokerLogOptions } from './broker-options';
export { authConfigSchema, authConfigFromEnv, parseAuthConfig } from './auth/auth-config';
export type { AuthConfig, ResolvedAuthConfig } from './auth/auth-config';
export { tokenConfigSchema, hashToken, createTokenStore } from './auth/tokens';
export type { TokenConfig, TokenStore } from './auth/tokens';
export type { Principal } from './auth/principal';
export { buildOpenApi } from './http/openapi';
export type { OpenApiDocument, OpenApiInfo } from './http/openapi';
export { createBrokerClient, DEFAULT_BROKER_CLIENT_OPTIONS, BrokerRequestError } from './client/index';
export type {
  BrokerClient,
  BrokerClientOptions,
  ListTasksQuery,
  TaskStatusFilter,
  PublishBody,
  ReplayBody,
  TrimBody,
  ErrorBody,
  PublishResponse,
  ChannelPublishResponse,
  ComprehensiveHealth,
} from './client/index';
export { runDemo, DEMO_AGENTS, DEFAULT_DEMO_OPTIONS } from './demo/demo';
export type { RunDemoOptions, DemoResult, DemoAgent } from './demo/demo';
export { startDemoBroker } from './demo/embedded';
export type { DemoBroker } from './demo/embedded';
export { runCli, CLI_COMMANDS, CLI_USAGE } from './cli/run-cli';
export type { CliIo } from './cli/cli-io';
export type { CliCommand } from './cli/command';
export { brokerServerConfig, BROKER_USAGE, DEFAULT_BROKER_SERVER_CONFIG } from './config/broker-env';
export type { BrokerServerConfig } from './config/broker-env';
