import { z } from 'zod';
import { TASK_STATUSES, type Task } from '@agentbus/schema';
import { GLOBAL_HELP, intFlag, parseCommandArgs, positional, str, strs, type ParsedArgs } from '../args';
import { CliError, UsageError } from '../cli-error';
import { brokerClientOf, withDirect } from '../connection';
import type { CliCommand } from '../command';
import type { CliIo } from '../cli-io';
import { json, table, truncate } from '../format';

const USAGE = `usage: agentbus tasks ls [--status S ...] [--type T] [--limit N] [--scan] [--swarm S]
       agentbus tasks claim <id> [--agent A]
       agentbus tasks claim --next [--type T] [--agent A]

Swarm tasks (the task:{id} hashes agents share).
  ls       by status (repeatable: ${TASK_STATUSES.join(', ')}) and type; --scan also finds tasks
           written without the index (Python agents). Through a broker: the swarm's tasks only
           (--swarm, default the token's); --scan needs an admin token there.
  claim    atomically: of any number of claimants exactly one wins; the others exit 1 with
           "conflict". --next claims the oldest pending task (of --type).
  --agent A  the claiming agent (default AGENTBUS_AGENT; through a broker: the token's agent)

${GLOBAL_HELP}`;

function render(tasks: readonly Task[]): string {
  if (tasks.length === 0) return 'no tasks\n';
  return `${table(
    ['id', 'status', 'type', 'assignee', 'updated', 'description'],
    tasks.map((t) => [t.id, t.status, t.type, t.assignee ?? '-', t.updated_at.slice(0, 19), truncate(t.description.replace(/\s+/g, ' '), 60)]),
  )}\n`;
}

async function ls(args: ParsedArgs, io: CliIo): Promise<number> {
  const g = args.global;
  const statuses = z.array(z.enum(TASK_STATUSES)).safeParse(strs(args, 'status').flatMap((s) => s.split(',')));
  if (!statuses.success) throw new UsageError(`--status must be one of ${TASK_STATUSES.join(', ')}`);
  const limitText = str(args, 'limit');
  const limit = limitText === undefined ? 100 : intFlag('limit', limitText, 1);
  const type = str(args, 'type');
  const source = args.values.scan === true ? ('scan' as const) : ('index' as const);
  const status = statuses.data.length > 0 ? statuses.data : undefined;
  const client = brokerClientOf(g);
  const swarm = str(args, 'swarm');
  const list = client
    ? await client.tasks.list({ ...(status ? { status } : {}), ...(type ? { type } : {}), source, limit, ...(swarm ? { swarm } : {}) })
    : await withDirect(g, (bus) => bus.swarm.listTasks({ ...(status ? { status } : {}), ...(type ? { type } : {}), source, limit }));
  if (g.json) io.stdout.write(json(list));
  else {
    io.stdout.write(render(list.items));
    for (const bad of list.invalid) io.stdout.write(`unreadable ${bad.key}: ${bad.message}\n`);
  }
  return 0;
}

async function claim(args: ParsedArgs, io: CliIo): Promise<number> {
  const g = args.global;
  const next = args.values.next === true;
  const id = next ? undefined : positional(args, 1, '<id> (or --next)', 'tasks claim');
  const client = brokerClientOf(g);
  const agent = str(args, 'agent') ?? g.agent;
  const type = str(args, 'type');
  let task: Task | null | undefined;
  if (client) {
    task = id === undefined ? await client.tasks.claimNext({ ...(agent ? { agent_id: agent } : {}), ...(type ? { type } : {}) }) : await client.tasks.claim(id, agent);
  } else {
    if (!agent) throw new UsageError('--agent is required (or AGENTBUS_AGENT): who claims the task');
    task = await withDirect(g, (bus) => (id === undefined ? bus.swarm.claimNextTask(agent, type ? { type } : {}) : bus.swarm.claimTask(id, agent)));
  }
  if (!task) throw new CliError(`no pending unassigned task${type ? ` of type ${type}` : ''} to claim`);
  io.stdout.write(g.json ? json(task) : `claimed ${task.id} (${task.type}) as ${task.assignee}: ${truncate(task.description, 80)}\n`);
  return 0;
}

export const tasksCommand: CliCommand = {
  name: 'tasks',
  summary: 'swarm tasks: ls | claim (atomic)',
  usage: USAGE,
  async run(argv, io) {
    const args = parseCommandArgs('tasks', argv, {
      status: { type: 'string', multiple: true },
      type: { type: 'string' },
      limit: { type: 'string' },
      scan: { type: 'boolean' },
      swarm: { type: 'string' },
      agent: { type: 'string' },
      next: { type: 'boolean' },
    }, io.env);
    if (args.values.help) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const sub = positional(args, 0, 'a subcommand (ls, claim)', 'tasks');
    if (sub === 'ls') return ls(args, io);
    if (sub === 'claim') return claim(args, io);
    throw new UsageError(`unknown tasks subcommand ${JSON.stringify(sub)}: use ls or claim`);
  },
};
