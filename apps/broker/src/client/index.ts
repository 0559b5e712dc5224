// The broker's HTTP client on its own (`@agentbus/broker/client`): no Fastify, no Redis.
export { createBrokerClient, DEFAULT_BROKER_CLIENT_OPTIONS } from './broker-client';
export type { BrokerClient, BrokerClientOptions, ListTasksQuery, TaskStatusFilter } from './broker-client';
export { BrokerRequestError } from './broker-request-error';
export type { PublishBody } from '../schemas/publish';
export type { ReplayBody, TrimBody } from '../schemas/topics';
export type { ErrorBody, PublishResponse, ChannelPublishResponse, ComprehensiveHealth } from '../schemas/responses';
