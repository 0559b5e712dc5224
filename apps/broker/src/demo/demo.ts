import { randomBytes } from 'node:crypto';
import type { Task } from '@agentbus/schema';
import { createBrokerClient, type BrokerClient } from '../client/broker-client';
import { BrokerRequestError } from '../client/broker-request-error';

/** The swarm the demo plays, and each agent's role. */
export const DEMO_AGENTS = {
  coordinator: 'coordinator',
  'researcher-1': 'researcher',
  'researcher-2': 'researcher',
  'researcher-3': 'researcher',
} as const;
export type DemoAgent = keyof typeof DEMO_AGENTS;

export interface RunDemoOptions {
  /** The broker to drive, e.g. `http://127.0.0.1:8080`. */
  brokerUrl: string;
  /** One token for every demo agent; omit for a broker running without auth. */
  token?: string;
  /** A token per agent (over `token`): a broker with auth lets a token act as its own agent only. */
  tokens?: Partial<Record<DemoAgent, string>>;
  /** The swarm id. Default `demo`. */
  swarm?: string;
  /** Where the narrative goes. Default console.log. */
  print?: (line: string) => void;
  /** Pause between steps, for a human to follow (ms). Default 0. */
  pauseMs?: number;
}

export const DEFAULT_DEMO_OPTIONS = { swarm: 'demo', pauseMs: 0 } as const;

export interface DemoResult {
  /** The demo's tasks as they ended. */
  tasks: Task[];
  /** Tasks escalated to a human (one: the conflict). */
  escalated: number;
  completed: number;
  durationMs: number;
}

const QUESTIONS = [
  { q: 'Which Redis version introduced XAUTOCLAIM?', a: 'XAUTOCLAIM arrived in Redis 6.2', cite: 'https://redis.io/commands/xautoclaim' },
  { q: 'Do consumer groups survive a Redis restart with AOF on?', a: 'consumer groups and their pending entries are persisted with the stream', cite: 'https://redis.io/docs/data-types/streams' },
  { q: 'What delivery does Redis Pub/Sub give?', a: 'Pub/Sub is at-most-once: a disconnected subscriber misses messages', cite: 'https://redis.io/docs/interact/pubsub' },
] as const;

/**
 * Drives a small swarm against a running broker, over the HTTP client, printing what happens: a
 * coordinator posts research tasks, three researchers race to claim them (each claim atomic),
 * post findings, one finding is contradicted by a reviewer with far lower confidence, the
 * coordinator detects the conflict and escalates that task to a human; the others complete.
 * Takes a few seconds (plus `pauseMs` per step). Every call names its agent: a broker without
 * auth needs that, and one with auth checks it against the token.
 */
export async function runDemo(options: RunDemoOptions): Promise<DemoResult> {
  const started = Date.now();
  const print = options.print ?? ((line: string) => console.log(line));
  const swarm = options.swarm ?? DEFAULT_DEMO_OPTIONS.swarm;
  const pauseMs = options.pauseMs ?? DEFAULT_DEMO_OPTIONS.pauseMs;
  const run = randomBytes(3).toString('hex');
  // Tasks of this run only: a broker shared with other runs may hold older demo tasks.
  const taskType = `demo.research.${run}`;
  const pause = () => (pauseMs > 0 ? new Promise((r) => setTimeout(r, pauseMs)) : Promise.resolve());
  const clients = Object.fromEntries(
    (Object.keys(DEMO_AGENTS) as DemoAgent[]).map((agent) => {
      const token = options.tokens?.[agent] ?? options.token;
      return [agent, createBrokerClient({ baseUrl: options.brokerUrl, ...(token === undefined ? {} : { token }) })];
    }),
  ) as Record<DemoAgent, BrokerClient>;
  const coordinator = clients.coordinator;
  const researchers = ['researcher-1', 'researcher-2', 'researcher-3'] as const;

  print(`agentbus demo: a swarm "${swarm}" on ${options.brokerUrl} (run ${run})`);
  const ready = await coordinator.health.ready();
  if (ready.status !== 'ready') throw new Error(`the broker's backend is not ready: ${ready.error ?? 'unknown'}`);
  print(`  broker ready: ${ready.backend} backend answers in ${ready.latencyMs} ms`);

  print('\n1. the agents join the swarm registry');
  for (const [agent, role] of Object.entries(DEMO_AGENTS) as Array<[DemoAgent, string]>) {
    try {
      await clients[agent].registry.register(swarm, { id: agent, role });
    } catch (error) {
      if (error instanceof BrokerRequestError && error.status === 403 && /acts as agent/.test(error.message)) {
        throw new Error(`${error.message}: the demo plays several agents, so give it a token per agent (tokens) or run it against a broker without auth`);
      }
      throw error;
    }
  }
  const roster = await coordinator.registry.roster(swarm);
  print(`  roster: ${roster.agents.map((a) => `${a.id} (${a.role})`).join(', ')}`);
  await pause();

  print('\n2. the coordinator posts three research tasks');
  const tasks: Task[] = [];
  for (const [i, item] of QUESTIONS.entries()) {
    const t = await coordinator.tasks.create({ description: item.q, type: taskType, data: { swarm, question: i + 1 } });
    tasks.push(t);
    print(`  T${i + 1} ${t.id}: ${item.q}`);
  }
  const label = (id: string) => `T${tasks.findIndex((t) => t.id === id) + 1}`;
  await coordinator.publish('demo.events', { type: 'demo.tasks_posted', from: 'coordinator', to: 'researchers', act: 'request', payload: { run, tasks: tasks.map((t) => t.id) } });
  print('  and announces them on topic demo.events');
  await pause();

  print('\n3. three researchers race to claim work (each claim is one atomic script: exactly one winner)');
  const claimed = await Promise.all(researchers.map((r) => clients[r].tasks.claimNext({ agent_id: r, type: taskType, swarm })));
  const owner = new Map<string, (typeof researchers)[number]>();
  claimed.forEach((t, i) => {
    if (t) owner.set(t.id, researchers[i]!);
    print(`  ${researchers[i]} claimed ${t ? `${label(t.id)} (${t.id})` : 'nothing'}`);
  });
  const first = claimed.find((t): t is Task => t !== undefined && t !== null);
  if (!first) throw new Error(`no researcher could claim a task of type ${taskType}`);
  const intruder = researchers.find((r) => r !== owner.get(first.id))!;
  try {
    await clients[intruder].tasks.claim(first.id, intruder);
    throw new Error(`${intruder} claimed ${first.id}, which ${owner.get(first.id)} holds: the claim is not atomic`);
  } catch (error) {
    if (!(error instanceof BrokerRequestError) || error.status !== 409) throw error;
    print(`  ${intruder} tries ${label(first.id)} too: 409 ${error.message.split(';')[0]}`);
  }
  await pause();

  print('\n4. each researcher posts a finding');
  for (const t of claimed) {
    if (!t) continue;
    const agent = owner.get(t.id)!;
    const item = QUESTIONS[Number(t.data.question) - 1]!;
    const f = await clients[agent].findings.post({ worker_id: agent, task_id: t.id, claim: item.a, confidence: 0.9, citations: [item.cite] });
    print(`  ${agent} on ${label(t.id)}: "${f.claim}" (confidence ${f.confidence})`);
  }
  const disputed = first;
  const reviewer = researchers.find((r) => r !== owner.get(disputed.id))!;
  await clients[reviewer].findings.post({ worker_id: reviewer, task_id: disputed.id, claim: 'XAUTOCLAIM arrived in Redis 7.0', confidence: 0.45, citations: ['https://example.org/forum-post'] });
  print(`  ${reviewer} reviews ${label(disputed.id)} and disagrees: "XAUTOCLAIM arrived in Redis 7.0" (confidence 0.45)`);
  await pause();

  print('\n5. the coordinator checks every task for conflicting findings');
  let escalated = 0;
  let completed = 0;
  for (const t of claimed) {
    if (!t) continue;
    const report = await coordinator.findings.conflicts(t.id);
    if (report.conflicts.length === 0) {
      print(`  ${label(t.id)}: ${report.findings} finding(s), no conflict`);
      continue;
    }
    const c = report.conflicts[0]!;
    print(`  ${label(t.id)}: CONFLICT "${c.higher.claim}" (${c.higher.confidence}) vs "${c.lower.claim}" (${c.lower.confidence}), gap ${c.gap.toFixed(2)} > ${report.threshold}`);
    const e = await coordinator.tasks.escalate(t.id, { agent_id: 'coordinator', reason: `conflicting findings (gap ${c.gap.toFixed(2)}): a human decides`, finding_ids: [c.higher.id, c.lower.id] });
    escalated++;
    print(`  -> escalated to a human: ${label(t.id)} is ${e.task.status}, escalation ${e.id} on stream ${e.topic}`);
  }
  await pause();

  print('\n6. the researchers finish the undisputed tasks');
  for (const t of claimed) {
    if (!t || t.id === disputed.id) continue;
    const agent = owner.get(t.id)!;
    const done = await clients[agent].tasks.complete(t.id, QUESTIONS[Number(t.data.question) - 1]!.a, agent);
    completed++;
    print(`  ${agent} completed ${label(t.id)}: ${done.status}`);
  }
  await coordinator.context.share(swarm, `run-${run}`, {
    notes: [`${completed} tasks completed, ${escalated} escalated`],
    timeline: [{ event: 'demo finished', by: 'coordinator' }],
    topics: ['redis', 'streams'],
  });
  await pause();

  print('\n7. the board');
  const board = await coordinator.tasks.list({ type: taskType, swarm });
  for (const t of board.items) print(`  ${label(t.id)}  ${t.status.padEnd(12)} ${(t.assignee ?? '-').padEnd(13)} ${t.description}`);
  const escalations = await coordinator.stats('swarm.escalations').catch(() => undefined);
  if (escalations) print(`  the escalations stream holds ${escalations.length} message(s) for a human to pick up`);
  const durationMs = Date.now() - started;
  print(`\ndone in ${(durationMs / 1000).toFixed(1)} s: ${completed} completed, ${escalated} escalated to a human`);
  return { tasks: board.items, escalated, completed, durationMs };
}
