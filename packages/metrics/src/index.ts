// Public API of @agentbus/metrics. Explicit named exports only.
export { createMetrics } from './metrics';
export type { Metrics, ChatMetrics, BridgeMetrics } from './metrics';
export { DEFAULT_METRICS_OPTIONS } from './metrics-options';
export type { MetricsOptions } from './metrics-options';
export { METRIC_NAMES, HISTOGRAM_NAMES } from './metric-names';
export type { MetricName } from './metric-names';
export type { ReliabilityHooksLike } from './reliability-metrics-hooks';
export type { WatchTopicsOptions, TopicStatsSource, DeadLetterDepthSource } from './topic-collector';
export { BREAKER_STATE_VALUES, breakerStateValue } from './breaker-state';
export type { CircuitBreakerLike } from './breaker-state';
export { combineHooks } from './combine-hooks';
export { startProbeServer, DEFAULT_PROBE_SERVER_OPTIONS } from './probe-server';
export type { ProbeServer, ProbeServerOptions, ProbeResult } from './probe-server';
export { withTracing } from './tracing/with-tracing';
export { tracingReliabilityHooks } from './tracing/reliability-spans';
export { traceRelay } from './tracing/relay-span';
export type { RelaySpanOptions } from './tracing/relay-span';
export { DEFAULT_TRACING_OPTIONS } from './tracing/tracing-options';
export type { TracingOptions } from './tracing/tracing-options';
export {
  parseTraceparent,
  formatTraceparent,
  contextFromTraceparent,
  currentTraceparent,
  injectTraceparent,
} from './tracing/traceparent';
export { traceLogFields } from './tracing/log-fields';
export { startTracing } from './tracing/start-tracing';
export { DEFAULT_START_TRACING_OPTIONS } from './tracing/start-tracing-options';
export type { StartTracingOptions, TracingHandle } from './tracing/start-tracing-options';
export type { TraceLogFields } from './tracing/log-fields';
