/** How `startTracing` sets up the OpenTelemetry SDK; whether it does at all is the environment's call. */
export interface StartTracingOptions {
  /**
   * The `service.name` of every span this process exports, e.g. `agentbus-worker`. Required: a
   * trace that crosses processes is only readable when each hop names its service.
   * `OTEL_SERVICE_NAME` (or `service.name` in `OTEL_RESOURCE_ATTRIBUTES`) overrides it.
   */
  serviceName: string;
  /**
   * Where the OTEL_* variables are read: `OTEL_EXPORTER_OTLP_ENDPOINT` /
   * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (tracing is off unless one is set), `OTEL_SDK_DISABLED`,
   * `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_EXPORTER_OTLP_(TRACES_)HEADERS`.
   * The SDK's own tuning variables (`OTEL_BSP_*`, `OTEL_TRACES_SAMPLER`, exporter timeout) are
   * read by the SDK from `process.env`. Default `process.env`.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * `shutdown()` waits at most this long (ms) for the last spans to be exported, so a collector
   * that is down cannot hold up a graceful stop. Default 5000.
   */
  shutdownTimeoutMs?: number;
}

/** The defaults of the optional StartTracingOptions fields but `env` (process.env, read at call time). */
export const DEFAULT_START_TRACING_OPTIONS = {
  shutdownTimeoutMs: 5_000,
} as const satisfies Omit<StartTracingOptions, 'serviceName' | 'env'>;

/** What `startTracing` gives back. */
export interface TracingHandle {
  /** Whether an SDK was registered: false when no OTLP endpoint is set or OTEL_SDK_DISABLED=true. */
  readonly enabled: boolean;
  /**
   * Exports the spans still buffered (within `shutdownTimeoutMs`), stops the SDK and unregisters
   * it, so later spans are no-ops. Call it last in the graceful stop; resolves at once when
   * tracing is off, and every call after the first gets the same promise.
   */
  shutdown(): Promise<void>;
}
