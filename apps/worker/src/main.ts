#!/usr/bin/env node
// agentbus-worker: the long-running consumer process. See WORKER_USAGE (--help).
import { startTracing } from '@agentbus/metrics';
import { loadHandler } from './load-handler';
import { createWorker } from './worker';
import { loadDotEnv, parseWorkerOptions, WORKER_USAGE } from './worker-options';

function log(level: string, msg: string, extra: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ level, time: new Date().toISOString(), msg, ...extra })}\n`);
}

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
  const worker = await createWorker({ ...options, handler });
  log('info', 'worker started', { topic: options.topic, group: options.group, consumer: worker.consumer.name, backend: worker.transport.backend, url: worker.url });
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log('info', 'stopping', { signal, deadlineMs: options.stopDeadlineMs });
      worker.stop().then(resolve, resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  log('info', 'worker stopped', { counters: worker.consumer.counters() });
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
