// `npm start`: the broker, a worker with a demo handler and the chat hub in one process. On the
// in-memory backend when REDIS_URL is unset (the embedded default), against Redis when it is set.
// SIGTERM/SIGINT stop everything cleanly.
import { createBroker } from '@agentbus/broker';
import { createReliability } from '@agentbus/reliability';
import { chatHubOptionsFromEnv, createChatHub, createDemoSetup } from '@agentbus/chat-hub';
import { createMetrics } from '@agentbus/metrics';
import { createTransport, selectBackend } from '@agentbus/transport';
import { createWorker } from '@agentbus/worker';

const env = process.env;
const host = env.HOST ?? '127.0.0.1';
const brokerPort = Number(env.BROKER_PORT ?? env.PORT ?? 8080);
const hubPort = Number(env.CHAT_HUB_PORT ?? 8090);
const workerPort = Number(env.WORKER_PORT ?? 9464);
const backend = selectBackend();

const metrics = createMetrics();
const transport = createTransport({ hooks: metrics.transportHooks() });
const health = await transport.health();
if (!health.ok) {
  console.error(`agentbus: ${health.error}`);
  process.exit(1);
}

// Embedded dev mode: no auth unless BROKER_TOKENS or BROKER_TOKENS_FILE configure tokens.
const auth = env.BROKER_TOKENS || env.BROKER_TOKENS_FILE ? undefined : false;
// One Reliability, so dead letters of the worker are what the broker's DLQ routes show.
const reliability = createReliability(transport, { hooks: metrics.reliabilityHooks() });
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
const hub = createChatHub({ ...chatEnv, ...(demo ? { tokens: demo.tokens, channels: demo.channels } : {}), transport, host, port: hubPort });
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
  process.exit(0);
}
process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));
