import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import { context, diag, propagation, trace } from '@opentelemetry/api';
import { z } from 'zod';
import { otlpTraceConfigFromEnv } from './otlp-env';
import { DEFAULT_START_TRACING_OPTIONS, type StartTracingOptions, type TracingHandle } from './start-tracing-options';

const optionsSchema = z.strictObject({
  serviceName: z.string().min(1),
  env: z.record(z.string(), z.string().optional()).optional(),
  shutdownTimeoutMs: z.number().int().positive().optional(),
});

const OFF: TracingHandle = Object.freeze({ enabled: false, shutdown: () => Promise.resolve() });

const SDK_PACKAGES =
  '@opentelemetry/sdk-trace-base@^2 @opentelemetry/context-async-hooks@^2 @opentelemetry/core@^2 @opentelemetry/resources@^2 @opentelemetry/exporter-trace-otlp-http@^0.2';

// Imported only once tracing is on: the SDK is an optional peer dependency, so a team that never
// sets an OTLP endpoint neither installs nor loads it.
async function loadSdk() {
  try {
    const [base, asyncHooks, core, resources, otlp] = await Promise.all([
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/context-async-hooks'),
      import('@opentelemetry/core'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/exporter-trace-otlp-http'),
    ]);
    return { base, asyncHooks, core, resources, otlp };
  } catch (error) {
    throw new AgentbusError(
      ERROR_CODES.INTERNAL,
      `startTracing: an OTLP endpoint is set but the OpenTelemetry SDK cannot be loaded (npm install ${SDK_PACKAGES}): ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Resolves when `promise` settles or after `ms`, whichever is first; never rejects. */
function settleWithin(promise: Promise<unknown>, ms: number, what: string): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      diag.warn(`startTracing: ${what} did not finish within ${ms} ms; buffered spans are dropped`);
      resolve();
    }, ms);
    timer.unref();
    promise.then(
      () => resolve(),
      (error: unknown) => {
        diag.warn(`startTracing: ${what} failed`, error);
        resolve();
      },
    ).finally(() => clearTimeout(timer));
  });
}

/**
 * Registers the OpenTelemetry SDK for this process when the environment asks for it
 * (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` set, `OTEL_SDK_DISABLED`
 * not `true`): a tracer provider exporting in batches over OTLP/HTTP, the AsyncLocalStorage
 * context manager (so a handler's publish is the child of its CONSUMER span) and the W3C
 * propagator. Otherwise it loads nothing and the spans of `withTracing` stay no-ops. Call it
 * once, before creating transports, and `shutdown()` last in the graceful stop.
 * Throws INVALID_ARGUMENT for a malformed variable, CONFLICT when a tracer provider is already
 * registered in the process.
 */
export async function startTracing(options: StartTracingOptions): Promise<TracingHandle> {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `startTracing: option ${issue.path.join('.') || '(root)'} ${issue.message}`);
  }
  const env = options.env ?? process.env;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? DEFAULT_START_TRACING_OPTIONS.shutdownTimeoutMs;
  const config = otlpTraceConfigFromEnv(env, options.serviceName);
  if (config === undefined) return OFF;

  const sdk = await loadSdk();
  const resource = sdk.resources.defaultResource().merge(sdk.resources.resourceFromAttributes(config.resource));
  const exporter = new sdk.otlp.OTLPTraceExporter({ url: config.url, headers: config.headers });
  const provider = new sdk.base.BasicTracerProvider({ resource, spanProcessors: [new sdk.base.BatchSpanProcessor(exporter)] });
  if (!trace.setGlobalTracerProvider(provider)) {
    await provider.shutdown();
    throw new AgentbusError(
      ERROR_CODES.CONFLICT,
      'startTracing: an OpenTelemetry tracer provider is already registered in this process (start tracing once)',
    );
  }
  // A context manager or propagator someone registered before is kept: theirs is as good.
  const manager = new sdk.asyncHooks.AsyncLocalStorageContextManager().enable();
  const ownsContext = context.setGlobalContextManager(manager);
  if (!ownsContext) manager.disable();
  const ownsPropagator = propagation.setGlobalPropagator(new sdk.core.W3CTraceContextPropagator());

  let stopped: Promise<void> | undefined;
  return {
    enabled: true,
    shutdown() {
      stopped ??= settleWithin(provider.shutdown(), shutdownTimeoutMs, 'exporting the last spans').then(() => {
        trace.disable();
        if (ownsContext) context.disable();
        if (ownsPropagator) propagation.disable();
      });
      return stopped;
    },
  };
}
