// The embedded demo `npm start` runs: a planner hands tasks to two workers of one group.
import { createEnvelope } from '@agentbus/schema';
import { createTransport, selectBackend } from '@agentbus/transport';

const backend = selectBackend();
const bus = createTransport({ namespace: `demo-${process.pid}` });
console.log(`demo on the ${backend} backend${backend === 'memory' ? ' (set REDIS_URL to use Redis)' : ''}`);
const health = await bus.health();
if (!health.ok) {
  console.error(`agentbus: ${health.error}`);
  process.exit(1);
}

const total = 6;
let done = 0;
const finished = new Promise<void>((resolve) => {
  for (const worker of ['worker-a', 'worker-b']) {
    bus.consume(
      'tasks',
      async (env, ctx) => {
        const { job } = env.payload as { job: string };
        console.log(`  ${worker} handled ${job} (${ctx.lane}, delivery ${ctx.deliveryCount})`);
        if (++done === total) resolve();
      },
      { group: 'workers', consumer: worker, concurrency: 2 },
    );
  }
});
const sub = bus.pubsub.subscribe('announcements', (env) => console.log(`  announcement: ${String(env.payload)}`));
await sub.ready();
await bus.pubsub.publish('announcements', createEnvelope({ type: 'event', from: 'planner', payload: 'shift starts' }));
for (let i = 1; i <= total; i++) {
  await bus.publish(
    'tasks',
    createEnvelope({ type: 'task_request', from: 'planner', act: 'request', payload: { job: `job-${i}` }, priority: i === total ? 'urgent' : 'normal' }),
  );
}
await Promise.race([finished, new Promise((r) => setTimeout(r, 10_000))]);
// Acks are flushed in batches once per event-loop turn; let one pass before reading the stats.
await new Promise((r) => setTimeout(r, 50));
const stats = await bus.stats('tasks');
console.log(`tasks: ${stats.length} entries, group workers pending ${stats.groups[0]?.pending ?? 0}`);
await bus.close();
console.log('broker, worker and chat hub apps are next (see the issues); `npm test` runs every test.');
