// `npm start`: the broker, a worker with a demo handler and the chat hub in one process. On the
// in-memory backend when REDIS_URL is unset (the embedded default), against Redis when it is set.
// SIGTERM/SIGINT stop everything cleanly.
import { createBroker } from '@agentbus/broker';
import { createReliability } from '@agentbus/reliability';
import { chatHubOptionsFromEnv, createChatHub, createDemoSetup } from '@agentbus/chat-hub';
import { combineHooks, createMetrics, startTracing, tracingReliabilityHooks, withTracing } from '@agentbus/metrics';
import { createTransport, selectBackend } from '@agentbus/transport';
import { createWorker } from '@agentbus/worker';

const env = process.env;
const host = env.HOST ?? '127.0.0.1';
const brokerPort = Number(env.BROKER_PORT ?? env.PORT ?? 8080);
// CHAT_PORT as the standalone hub reads it; CHAT_HUB_PORT, the name npm start used first, too.
const hubPort = Number(env.CHAT_PORT ?? env.CHAT_HUB_PORT ?? 8090);
const workerPort = Number(env.WORKER_PORT ?? 9464);

/** One line for a startup failure, naming the setting to change: never a stack. */
function startupError(error: unknown): string {
  const e = error as NodeJS.ErrnoException & { port?: number };
  if (e?.code === 'EADDRINUSE') {
    const port = e.port ?? Number(/:(\d+)$/.exec(e.message)?.[1]);
    const which = port === brokerPort ? 'BROKER_PORT' : port === hubPort ? 'CHAT_PORT' : port === workerPort ? 'WORKER_PORT' : 'the port settings';
    return `port ${port} on ${host} is in use: set ${which} to a free port (or stop what holds it)`;
  }
  return e instanceof Error ? e.message : String(error);
}

try {
  await start();
} catch (error) {
  console.error(`agentbus: ${startupError(error)}`);
  process.exit(1);
}

async function start(): Promise<void> {
  const backend = selectBackend();

  // Once for the whole process (not per app), before the transport exists, so every span goes to
  // this SDK; off unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
  const tracing = await startTracing({ serviceName: 'agentbus' });
  const metrics = createMetrics();
  const transport = createTransport({ hooks: metrics.transportHooks() });
  const health = await transport.health();
  if (!health.ok) {
    console.error(`agentbus: ${health.error}`);
    process.exit(1);
  }

  // Embedded dev mode: no auth unless BROKER_TOKENS or BROKER_TOKENS_FILE configure tokens.
  const auth = env.BROKER_TOKENS || env.BROKER_TOKENS_FILE ? undefined : false;
  // One Reliability, so dead letters of the worker are what the broker's DLQ routes show. On a
  // traced view of the transport: the worker consumes through it, so its handlers run in CONSUMER
  // spans. The broker traces its own publishes (it wraps the transport it is given), so the raw
  // transport goes to it: wrapped twice, every publish would be two spans.
  const reliability = createReliability(withTracing(transport), {
    hooks: combineHooks(metrics.reliabilityHooks(), tracingReliabilityHooks()),
  });
  const broker = createBroker({ transport, metrics, reliability, ...(auth === false ? { auth } : {}) });
  const brokerUrl = await broker.listen(brokerPort, host);
  const worker = await createWorker({
    transport,
    metrics,
    reliability,
    topic: env.WORKER_TOPIC ?? 'tasks',
    group: env.WORKER_GROUP ?? 'workers',
    concurrency: 4,
    port: workerPort,
    host,
    stopDeadlineMs: 10_000,
    handler: (envelope, ctx) => {
      console.log(JSON.stringify({ level: 'info', msg: 'demo worker handled', topic: ctx.topic, id: envelope.id, type: envelope.type, attempt: ctx.attempt }));
    },
  });
  // Configured chat tokens (CHAT_TOKENS / CHAT_TOKENS_FILE) win; else demo users with fresh tokens.
  const chatEnv = chatHubOptionsFromEnv(env);
  const demo = chatEnv.tokens && chatEnv.tokens.length > 0 ? undefined : createDemoSetup();
  // Traced as the standalone hub is, so chat messages carry a traceparent on to their consumers.
  const hub = createChatHub({
    ...chatEnv,
    ...(demo ? { tokens: demo.tokens, channels: demo.channels } : {}),
    transport: withTracing(transport),
    // The process's one registry: the chat series show on the broker's and the worker's /metrics too.
    metrics,
    host,
    port: hubPort,
  });
  const hubUrl = await hub.listen();
  const chatLinks = demo ? demo.links(hubUrl).map((l) => `\n               ${l.id}: ${l.url}`).join('') : '';

  console.log(`agentbus running on the ${backend} backend${backend === 'memory' ? ' (set REDIS_URL to use Redis)' : ''}
  broker     ${brokerUrl}   (API docs ${brokerUrl}/docs, health ${brokerUrl}/health, metrics ${brokerUrl}/metrics)
  worker     ${worker.url}   (consumes topic ${env.WORKER_TOPIC ?? 'tasks'}; /health, /metrics)
  chat hub   ${hubUrl}${chatLinks}
Try: curl -X POST ${brokerUrl}/v1/topics/tasks/messages -H 'content-type: application/json' -d '{"type":"task_request","from":"me","payload":{"job":1}}'
     AGENTBUS_BROKER_URL=${brokerUrl} npm run demo   (a small swarm against this broker)
Stop with Ctrl-C.`);

  let stopping = false;
  async function stop(signal: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    console.log(`agentbus: ${signal}, stopping`);
    await worker.stop();
    await hub.close();
    await broker.close();
    await reliability.close();
    await transport.close();
    metrics.close();
    // Last: the spans of the work finished during the stop are exported too.
    await tracing.shutdown();
    process.exit(0);
  }
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
