import type { Envelope } from '@agentbus/schema';
import type { DeliveryContext } from '@agentbus/transport';
import type { Attributes } from '@opentelemetry/api';

// OpenTelemetry messaging semantic conventions (v1.27+), spelled out here rather than imported
// from @opentelemetry/semantic-conventions' incubating entry point, which is not covered by semver.
export const ATTR = {
  system: 'messaging.system',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  destination: 'messaging.destination.name',
  partition: 'messaging.destination.partition.id',
  messageId: 'messaging.message.id',
  conversationId: 'messaging.message.conversation_id',
  group: 'messaging.consumer.group.name',
  batchCount: 'messaging.batch.message_count',
  deliveryCount: 'messaging.redis.delivery_count',
  streamId: 'messaging.redis.stream_id',
  messageType: 'agentbus.message.type',
  from: 'agentbus.message.from',
  attempt: 'agentbus.delivery.attempt',
  lane: 'agentbus.delivery.lane',
  retryDelayMs: 'agentbus.retry.delay_ms',
  deadLetterReason: 'agentbus.dead_letter.reason',
  replayed: 'agentbus.replay.count',
  relaySource: 'agentbus.relay.source',
} as const;

/** The attributes of a span about one envelope; `system` undefined when the caller cannot tell the backend. */
export function messageAttributes(
  system: string | undefined,
  operation: string,
  type: string,
  destination: string,
  env: Envelope,
): Attributes {
  const a: Attributes = {
    [ATTR.operationType]: type,
    [ATTR.operationName]: operation,
    [ATTR.destination]: destination,
    [ATTR.messageId]: env.id,
    [ATTR.messageType]: env.type,
    [ATTR.from]: env.from,
  };
  if (system !== undefined) a[ATTR.system] = system;
  if (env.correlationId !== undefined) a[ATTR.conversationId] = env.correlationId;
  return a;
}

export function deliveryAttributes(system: string, env: Envelope, ctx: DeliveryContext): Attributes {
  const a = messageAttributes(system, 'process', 'process', ctx.topic, env);
  a[ATTR.group] = ctx.group;
  a[ATTR.partition] = String(ctx.partition);
  a[ATTR.streamId] = ctx.streamId;
  a[ATTR.deliveryCount] = ctx.deliveryCount;
  a[ATTR.attempt] = ctx.attempt;
  a[ATTR.lane] = ctx.lane;
  return a;
}
