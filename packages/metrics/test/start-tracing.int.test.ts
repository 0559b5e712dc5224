import { createRequire } from 'node:module';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { context, propagation, ProxyTracerProvider, SpanKind, trace } from '@opentelemetry/api';
import { createEnvelope, isAgentbusError } from '@agentbus/schema';
import { createRedisTransport } from '@agentbus/transport';
import { startOtlpCollector, uniquePrefix, type OtlpCollector } from '@agentbus/test-utils';
import { DEFAULT_START_TRACING_OPTIONS, formatTraceparent, startTracing, withTracing, type TracingHandle } from '../src/index';

const require = createRequire(import.meta.url);
/** The OpenTelemetry SDK modules (not the API) this process has loaded. */
const sdkModulesLoaded = () =>
  Object.keys(require.cache).filter((k) => /@opentelemetry[\\/](?!api[\\/])/.test(k) && !k.includes('semantic-conventions'));

/** No SDK registered: the global provider is the API's proxy with nothing behind it, so spans record nothing. */
function noSdkRegistered(): boolean {
  const provider = trace.getTracerProvider();
  return provider instanceof ProxyTracerProvider && !trace.getTracer('probe').startSpan('probe').isRecording();
}

const open: Array<{ close(): Promise<void> }> = [];
const handles: TracingHandle[] = [];
afterEach(async () => {
  for (const h of handles.splice(0)) await h.shutdown();
  for (const c of open.splice(0).reverse()) await c.close();
  // Whatever a test registered, the next one starts from the API's defaults.
  trace.disable();
  context.disable();
  propagation.disable();
});

async function collector(options?: { hang?: boolean }): Promise<OtlpCollector> {
  const c = await startOtlpCollector(options);
  open.push(c);
  return c;
}

async function start(...args: Parameters<typeof startTracing>): Promise<TracingHandle> {
  const h = await startTracing(...args);
  handles.push(h);
  return h;
}

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e as Error & { code?: string },
  );
  if (!error) throw new Error('expected a rejection');
  return error;
}

// First in the file: it checks that nothing of the SDK was loaded before tracing is turned on.
describe('startTracing off', () => {
  it('without an OTLP endpoint does nothing: enabled false, no SDK module loaded, no provider registered', async () => {
    for (const env of [{}, { OTEL_EXPORTER_OTLP_ENDPOINT: '' }, { OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_HEADERS: 'a=b' }]) {
      const h = await startTracing({ serviceName: 'agentbus-test', env });
      expect(h.enabled).toBe(false);
      await expect(h.shutdown()).resolves.toBeUndefined();
    }
    // OTEL_SDK_DISABLED wins over a set endpoint (the spec's kill switch), in any case.
    const disabled = await startTracing({
      serviceName: 'agentbus-test',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1', OTEL_SDK_DISABLED: 'TRUE' },
    });
    expect(disabled.enabled).toBe(false);
    expect(noSdkRegistered()).toBe(true);
    expect(sdkModulesLoaded()).toEqual([]);
  });

  it('refuses a malformed endpoint or option with INVALID_ARGUMENT naming it, before loading anything', async () => {
    const general = await rejection(startTracing({ serviceName: 's', env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' } }));
    expect(isAgentbusError(general)).toBe(true);
    expect(general.code).toBe('INVALID_ARGUMENT');
    expect(general.message).toContain('OTEL_EXPORTER_OTLP_ENDPOINT');
    expect(general.message).toContain('collector:4318');

    const specific = await rejection(
      startTracing({ serviceName: 's', env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://collector:4317' } }),
    );
    expect(specific.code).toBe('INVALID_ARGUMENT');
    expect(specific.message).toContain('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');

    const headers = await rejection(
      startTracing({ serviceName: 's', env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_HEADERS: 'novalue' } }),
    );
    expect(headers.message).toContain('OTEL_EXPORTER_OTLP_HEADERS');
    const encoding = await rejection(
      startTracing({ serviceName: 's', env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_RESOURCE_ATTRIBUTES: 'a=%zz' } }),
    );
    expect(encoding.message).toContain('OTEL_RESOURCE_ATTRIBUTES');

    const option = await rejection(startTracing({ serviceName: '', env: {} }));
    expect(option.code).toBe('INVALID_ARGUMENT');
    expect(option.message).toContain('serviceName');
    expect((await rejection(startTracing({ serviceName: 's', shutdownTimeoutMs: -1 }))).message).toContain('shutdownTimeoutMs');
    expect(DEFAULT_START_TRACING_OPTIONS.shutdownTimeoutMs).toBe(5000);
    expect(sdkModulesLoaded()).toEqual([]);
  });
});

describe('startTracing on', () => {
  it('exports producer -> Redis -> handler -> next hop as one trace over OTLP/HTTP, with the service name, flushed by shutdown()', async () => {
    const otlp = await collector();
    const tracing = await start({
      serviceName: 'agentbus-test',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: `${otlp.url}/`, OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=team%20a' },
    });
    expect(tracing.enabled).toBe(true);
    expect(sdkModulesLoaded().some((k) => k.includes('exporter-trace-otlp-http'))).toBe(true);
    expect(noSdkRegistered()).toBe(false);

    const bus = withTracing(createRedisTransport({ url: inject('redisUrl'), namespace: uniquePrefix('otlp') }));
    open.push(bus);
    const traceparents: string[] = [];
    const jobs = bus.consume(
      'jobs',
      async (env) => {
        traceparents.push(env.traceparent!);
        // A publish inside the handler is its child: the context manager carries the span across awaits.
        await new Promise((r) => setTimeout(r, 5));
        await bus.publish('next', createEnvelope({ type: 'next', from: 'worker', payload: env.payload }));
      },
      { group: 'workers' },
    );
    open.push(jobs);
    const next = bus.consume('next', () => undefined, { group: 'workers' });
    open.push(next);
    await Promise.all([jobs.ready(), next.ready()]);

    const job = createEnvelope({ type: 'job', from: 'client', payload: { n: 1 } });
    await bus.publish('jobs', job);
    await vi.waitFor(() => expect(traceparents).toHaveLength(1), { timeout: 10_000 });
    await jobs.close();
    await next.close();
    // Batched: nothing needs to have gone out yet; shutdown() flushes what is buffered.
    await tracing.shutdown();
    expect(noSdkRegistered()).toBe(true);

    expect(otlp.requests.length).toBeGreaterThan(0);
    for (const r of otlp.requests) {
      expect(r.path).toBe('/v1/traces');
      expect(r.headers['x-tenant']).toBe('team a');
      // Whatever the encoding, span and service names travel as plain strings.
      expect(r.body.toString('latin1')).toContain('agentbus-test');
    }
    const spans = otlp.spans();
    const named = (name: string) => {
      const found = spans.filter((s) => s.name === name);
      expect(found, `${name} in ${spans.map((s) => s.name).join(', ')}`).toHaveLength(1);
      return found[0]!;
    };
    const publishJobs = named('publish jobs');
    const processJobs = named('process jobs');
    const publishNext = named('publish next');
    const processNext = named('process next');
    for (const s of [publishJobs, processJobs, publishNext, processNext]) {
      expect(s.traceId).toBe(publishJobs.traceId);
      expect(s.service).toBe('agentbus-test');
    }
    expect(publishJobs.kind).toBe(SpanKind.PRODUCER + 1); // OTLP numbers kinds from 1 (INTERNAL), the API from 0
    expect(processJobs.kind).toBe(SpanKind.CONSUMER + 1);
    expect(processJobs.parentSpanId).toBe(publishJobs.spanId);
    expect(publishNext.parentSpanId).toBe(processJobs.spanId);
    expect(processNext.parentSpanId).toBe(publishNext.spanId);
    expect(processJobs.attributes).toMatchObject({ 'messaging.system': 'redis', 'messaging.destination.name': 'jobs', 'messaging.message.id': job.id });
    // The traceparent written into the envelope on publish is the producer span.
    expect(traceparents[0]).toBe(formatTraceparent({ traceId: publishJobs.traceId, spanId: publishJobs.spanId, traceFlags: 1 }));
    expect(publishJobs.resource['telemetry.sdk.name']).toBe('opentelemetry');

    // Shut down once, however often it is called.
    await tracing.shutdown();
  });

  it('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is the whole URL; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES name the resource', async () => {
    const otlp = await collector();
    const tracing = await start({
      serviceName: 'agentbus-test',
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.url}/custom/traces`,
        OTEL_SERVICE_NAME: 'renamed',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test, service.name=ignored',
      },
    });
    trace.getTracer('t').startSpan('manual').end();
    await tracing.shutdown();
    expect(otlp.requests.map((r) => r.path)).toEqual(['/custom/traces']);
    const [span] = otlp.spans();
    expect(span).toMatchObject({ name: 'manual', service: 'renamed' });
    expect(span!.resource['deployment.environment.name']).toBe('test');
  });

  it('service.name of OTEL_RESOURCE_ATTRIBUTES wins over the option', async () => {
    const otlp = await collector();
    const tracing = await start({
      serviceName: 'agentbus-test',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs,,' },
    });
    trace.getTracer('t').startSpan('manual').end();
    await tracing.shutdown();
    expect(otlp.spans()[0]!.service).toBe('from-attrs');
  });

  it('refuses a second start in the process with CONFLICT, leaving the first running', async () => {
    const otlp = await collector();
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url };
    const first = await start({ serviceName: 'one', env });
    const second = await rejection(startTracing({ serviceName: 'two', env }));
    expect(second.code).toBe('CONFLICT');
    trace.getTracer('t').startSpan('still traced').end();
    await first.shutdown();
    expect(otlp.spans().map((s) => [s.name, s.service])).toEqual([['still traced', 'one']]);
  });

  it('keeps a context manager and propagator registered before it', async () => {
    const otlp = await collector();
    const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
    const { W3CTraceContextPropagator } = await import('@opentelemetry/core');
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    const propagator = new W3CTraceContextPropagator();
    propagation.setGlobalPropagator(propagator);
    const tracing = await start({ serviceName: 's', env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url } });
    await tracing.shutdown();
    // Not ours, so not unregistered by our shutdown: a span made active is still seen.
    const span = trace.getTracer('t').startSpan('x');
    context.with(trace.setSpan(context.active(), span), () => expect(trace.getActiveSpan()).toBe(span));
    expect(propagation.fields()).toEqual(propagator.fields());
  });

  it('shutdown() gives up after shutdownTimeoutMs when the collector does not answer', async () => {
    const otlp = await collector({ hang: true });
    const tracing = await start({ serviceName: 's', env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url }, shutdownTimeoutMs: 300 });
    trace.getTracer('t').startSpan('lost').end();
    const t0 = Date.now();
    await tracing.shutdown();
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(noSdkRegistered()).toBe(true);
  });
});
