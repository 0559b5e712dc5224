#!/usr/bin/env node
// agentbus-worker: the long-running consumer process. See WORKER_USAGE (--help).
import { startTracing } from '@agentbus/metrics';
import { loadHandler } from './load-handler';
import { createWorker, type Worker } from './worker';
import { jsonLog as log } from './worker-log';
import { loadDotEnv, parseWorkerOptions, WORKER_USAGE } from './worker-options';

async function main(): Promise<number> {
  loadDotEnv();
  const options = parseWorkerOptions(process.argv.slice(2));
  if (options === 'help') {
    console.log(WORKER_USAGE);
    return 0;
  }
  // Before the transport exists, so its spans go to the SDK; off unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
  const tracing = await startTracing({ serviceName: 'agentbus-worker' });
  const handler = await loadHandler(options.handler);
  // A signal may come while the worker still waits for Redis: the start is abandoned then.
  const abort = new AbortController();
  const signalled = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  void signalled.then((signal) => {
    log('info', 'stopping', { signal, deadlineMs: options.stopDeadlineMs });
    abort.abort();
  });
  let worker: Worker;
  try {
    worker = await createWorker({ ...options, handler, signal: abort.signal });
  } catch (error) {
    await tracing.shutdown();
    if (abort.signal.aborted) return 0;
    throw error;
  }
  const { consumer, transport, url, tuning } = worker;
  if (!abort.signal.aborted) log('info', 'worker started', { topic: options.topic, group: options.group, consumer: consumer.name, backend: transport.backend, url, concurrency: options.concurrency, ...tuning });
  await signalled;
  await worker.stop();
  log('info', 'worker stopped', { counters: consumer.counters() });
  // Last: the spans of the messages finished during the stop are exported too.
  await tracing.shutdown();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // One line saying why, then a non-zero exit.
    console.error(`agentbus-worker: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
