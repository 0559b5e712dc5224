import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, expect, inject, it, vi } from 'vitest';
import { SpanKind } from '@opentelemetry/api';
import { createEnvelope, type Envelope } from '@agentbus/schema';
import { createRedisTransport, type Transport } from '@agentbus/transport';
import { exited, outputLines, spawnTs, uniquePrefix } from '@agentbus/test-utils';
import { parseTraceparent, withTracing } from '../src/index';
import { startTestTracing, type TestTracing } from './support/otel';

const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/traced-worker.ts');

interface PrintedSpan {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
}

let tracing: TestTracing;
beforeAll(() => {
  tracing = startTestTracing();
});
afterAll(async () => {
  await tracing.stop();
});
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

it('one trace runs producer -> Redis -> worker in another process -> next hop, each span the child of the one before', async () => {
  const url = inject('redisUrl');
  const namespace = uniquePrefix('trace');
  const child = spawnTs(worker, [url, namespace]);
  const lines = outputLines(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    await vi.waitFor(() => expect(lines, stderr).toContain('ready'), { timeout: 30_000, interval: 50 });

    const bus: Transport = withTracing(createRedisTransport({ url, namespace }), { tracer: tracing.tracer });
    open.push(bus);
    const received: Envelope[] = [];
    const results = bus.consume('results', (env) => void received.push(env), { group: 'client' });
    open.push(results);

    const task = createEnvelope({ type: 'task', from: 'client', payload: { q: 'sum' } });
    await tracing.tracer.startActiveSpan('request', async (span) => {
      await bus.publish('tasks', task);
      span.end();
    });
    // The caller's envelope is not touched: the traceparent went into a copy.
    expect(task.traceparent).toBeUndefined();

    await vi.waitFor(() => expect(received).toHaveLength(1), { timeout: 10_000 });
    await vi.waitFor(() => expect(tracing.spans().map((s) => s.name)).toContain('process results'), { timeout: 5000 });
    const remote = (): PrintedSpan[] =>
      lines.filter((l) => l.startsWith('span ')).map((l) => JSON.parse(l.slice(5)) as PrintedSpan);
    await vi.waitFor(() => expect(remote().map((s) => s.name).sort()).toEqual(['process tasks', 'publish results']), { timeout: 5000 });

    const request = tracing.span('request');
    const publishTasks = tracing.span('publish tasks');
    const processResults = tracing.span('process results');
    const processTasks = remote().find((s) => s.name === 'process tasks')!;
    const publishResults = remote().find((s) => s.name === 'publish results')!;

    const traceId = request.spanContext().traceId;
    for (const id of [publishTasks.spanContext().traceId, processTasks.traceId, publishResults.traceId, processResults.spanContext().traceId]) {
      expect(id).toBe(traceId);
    }
    expect(publishTasks.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(processTasks.parentSpanId).toBe(publishTasks.spanContext().spanId);
    expect(publishResults.parentSpanId).toBe(processTasks.spanId);
    expect(processResults.parentSpanContext?.spanId).toBe(publishResults.spanId);

    expect(publishTasks.kind).toBe(SpanKind.PRODUCER);
    expect(processTasks.kind).toBe(SpanKind.CONSUMER);
    expect(publishResults.kind).toBe(SpanKind.PRODUCER);
    expect(processResults.kind).toBe(SpanKind.CONSUMER);
    expect(processTasks.attributes).toMatchObject({
      'messaging.system': 'redis',
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'tasks',
      'messaging.consumer.group.name': 'workers',
      'messaging.message.id': task.id,
    });
    expect(publishTasks.attributes).toMatchObject({
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'tasks',
      'messaging.message.id': task.id,
    });
    // The reply that crossed Redis carries the worker's publish span as its traceparent.
    expect(parseTraceparent(received[0]!.traceparent!)).toMatchObject({ traceId, spanId: publishResults.spanId });
    expect(received[0]!.correlationId).toBe(task.id);
  } finally {
    child.kill('SIGTERM');
    await exited(child);
  }
});
