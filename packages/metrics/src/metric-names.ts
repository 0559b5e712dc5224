/**
 * Every metric name this package registers, in one place: the dashboard and the alert rules in
 * monitoring/ are tested against this list, so a renamed metric cannot silently blank a panel.
 */
export const METRIC_NAMES = {
  published: 'agentbus_messages_published_total',
  delivered: 'agentbus_messages_delivered_total',
  acked: 'agentbus_messages_acked_total',
  retried: 'agentbus_messages_retried_total',
  deadLettered: 'agentbus_messages_dead_lettered_total',
  expired: 'agentbus_messages_expired_total',
  rejected: 'agentbus_messages_rejected_total',
  reclaimed: 'agentbus_messages_reclaimed_total',
  leaseLost: 'agentbus_lease_lost_total',
  replayed: 'agentbus_messages_replayed_total',
  deadLettersDropped: 'agentbus_dead_letters_dropped_total',
  publishDuration: 'agentbus_publish_duration_seconds',
  handlerDuration: 'agentbus_handler_duration_seconds',
  endToEndLatency: 'agentbus_end_to_end_latency_seconds',
  consumerLag: 'agentbus_consumer_lag',
  consumerPending: 'agentbus_consumer_pending',
  groupConsumers: 'agentbus_group_consumers',
  streamLength: 'agentbus_stream_length',
  droppedUnacked: 'agentbus_stream_dropped_unacked',
  deadLetterDepth: 'agentbus_dead_letter_depth',
  collectErrors: 'agentbus_metrics_collect_errors_total',
  breakerState: 'agentbus_circuit_breaker_state',
  breakerTransitions: 'agentbus_circuit_breaker_transitions_total',
  rateLimited: 'agentbus_rate_limit_rejections_total',
  chatConnections: 'agentbus_chat_connections',
  chatOnline: 'agentbus_chat_presence_online',
  bridgeBacklog: 'agentbus_bridge_backlog',
  relayLatency: 'agentbus_bridge_relay_latency_seconds',
} as const;

export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];

/** The histograms among them: Prometheus exposes each as `_bucket`, `_sum` and `_count` series. */
export const HISTOGRAM_NAMES: readonly MetricName[] = [
  METRIC_NAMES.publishDuration,
  METRIC_NAMES.handlerDuration,
  METRIC_NAMES.endToEndLatency,
  METRIC_NAMES.relayLatency,
];
