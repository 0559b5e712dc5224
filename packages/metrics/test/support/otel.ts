import { context, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

export interface TestTracing {
  tracer: Tracer;
  exporter: InMemorySpanExporter;
  spans(): ReadableSpan[];
  /** The one finished span with this name; throws when there are none or several. */
  span(name: string): ReadableSpan;
  stop(): Promise<void>;
}

/**
 * A real SDK tracer recording into memory, with AsyncLocalStorage context propagation (as an app's
 * NodeSDK would set up), registered globally so the default tracer records too.
 */
export function startTestTracing(): TestTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  trace.setGlobalTracerProvider(provider);
  const spans = () => exporter.getFinishedSpans();
  return {
    tracer: provider.getTracer('test'),
    exporter,
    spans,
    span(name) {
      const found = spans().filter((s) => s.name === name);
      if (found.length !== 1) throw new Error(`${found.length} spans named ${name}: ${spans().map((s) => s.name).join(', ')}`);
      return found[0]!;
    },
    async stop() {
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}
