import type { DeadLetter, ReplayOptions, ReplaySelection } from '@agentbus/reliability';
import type { ReplayBody } from '../../schemas/topics';
import { GLOBAL_HELP, intFlag, parseCommandArgs, positional, str, strs, type ParsedArgs } from '../args';
import { CliError, UsageError } from '../cli-error';
import { brokerClientOf, withDirect } from '../connection';
import type { CliCommand } from '../command';
import type { CliIo } from '../cli-io';
import { createProgressBar } from '../progress-bar';
import { clock, decodeRaw, json, table, truncate } from '../format';

/** Replays this large print progress lines even when stderr is not a terminal. */
const LARGE_REPLAY = 1_000;
const PROGRESS_LINE_MS = 2_000;

const USAGE = `usage: agentbus dlq ls <topic> [--count N] [--from ID] [--to ID]
       agentbus dlq show <topic> <id>
       agentbus dlq replay <topic> (--id ID ... | --all | --from ID --to ID [--count N]) [--destination TOPIC | --all-groups]
       agentbus dlq purge <topic> (--id ID ... | --all)

A topic's dead letters: messages that failed every attempt, or were invalid, expired, poison or
badly signed.
  ls        oldest first (default --count 50): id, when, reason, attempts, type, from, last error
  show      one dead letter: its raw text, the reason and every attempt
  replay    publish them again (attempt 1, header replayedFrom), then remove them: a crash in
            between replays one twice, never loses one. Each goes back to the group it died in
            only; --all-groups gives it to every group of the topic, --destination republishes
            elsewhere (to every group there). A progress bar shows on a terminal; elsewhere a
            replay of ${LARGE_REPLAY} or more prints a progress line to stderr every few seconds.
  purge     delete them
Through --broker, replay and purge need an admin token (and --all-groups is not available).

${GLOBAL_HELP}`;

function row(d: DeadLetter): string[] {
  const decoded = decodeRaw(d.raw);
  const what = 'env' in decoded ? `${decoded.env.type} from ${decoded.env.from}` : '(not an envelope)';
  return [d.id, new Date(d.at).toISOString().slice(0, 10) + ' ' + clock(d.at), d.reason, String(d.attempts.length), what, truncate(d.error, 60)];
}

function selectionOf(args: ParsedArgs, verb: string): { ids: string[] } | 'all' | { from?: string; to?: string; count?: number } {
  const ids = strs(args, 'id');
  const all = args.values.all === true;
  const from = str(args, 'from');
  const to = str(args, 'to');
  const countText = str(args, 'count');
  const range = from !== undefined || to !== undefined || countText !== undefined;
  if ([ids.length > 0, all, range].filter(Boolean).length !== 1) {
    throw new UsageError(`${verb} needs exactly one of --id ID (repeatable), --all, or a range (--from, --to, --count); see agentbus dlq --help`);
  }
  if (ids.length > 0) return { ids };
  if (all) return 'all';
  return { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }), ...(countText === undefined ? {} : { count: intFlag('count', countText, 1) }) };
}

async function ls(args: ParsedArgs, io: CliIo, topic: string): Promise<number> {
  const g = args.global;
  const countText = str(args, 'count');
  const o = {
    count: countText === undefined ? 50 : intFlag('count', countText, 1),
    ...(str(args, 'from') === undefined ? {} : { from: str(args, 'from')! }),
    ...(str(args, 'to') === undefined ? {} : { to: str(args, 'to')! }),
  };
  const client = brokerClientOf(g);
  const { items, depth } = client
    ? await client.dlq.list(topic, o)
    : await withDirect(g, async (bus) => ({ items: await bus.reliability.deadLetters.list(topic, o), depth: await bus.reliability.deadLetters.depth(topic) }));
  if (g.json) io.stdout.write(json({ topic, depth, items }));
  else {
    io.stdout.write(`${depth} dead letter${depth === 1 ? '' : 's'} in ${topic}${items.length < depth ? ` (showing ${items.length})` : ''}\n`);
    if (items.length > 0) io.stdout.write(`${table(['id', 'at (UTC)', 'reason', 'tries', 'message', 'last error'], items.map((d) => row(d as DeadLetter)))}\n`);
  }
  return 0;
}

async function show(args: ParsedArgs, io: CliIo, topic: string): Promise<number> {
  const g = args.global;
  const id = positional(args, 2, '<id>', 'dlq show');
  const client = brokerClientOf(g);
  const d = client ? await client.dlq.get(topic, id) : await withDirect(g, (bus) => bus.reliability.deadLetters.get(topic, id));
  if (!d) throw new CliError(`no dead letter ${id} in ${topic} (agentbus dlq ls ${topic} lists them)`);
  if (g.json) {
    io.stdout.write(json(d));
    return 0;
  }
  const decoded = decodeRaw(d.raw);
  io.stdout.write(
    [
      `dead letter ${d.id} of ${d.topic} (${d.partitionTopic}, lane ${d.lane})`,
      `  reason     ${d.reason}: ${d.error}`,
      `  when       ${new Date(d.at).toISOString()}`,
      `  from       group ${d.group}, consumer ${d.consumer}, stream id ${d.streamId}`,
      `  attempts   ${d.attempts.length === 0 ? 'none recorded' : ''}`,
      ...d.attempts.map((a) => `    #${a.attempt} ${new Date(a.at).toISOString()}  ${a.error}`),
      'env' in decoded ? `  envelope\n${JSON.stringify(decoded.env, null, 2).replace(/^/gm, '    ')}` : `  raw (not a valid envelope: ${decoded.error})\n    ${d.raw}`,
      '',
    ].join('\n'),
  );
  return 0;
}

/**
 * Progress of a large replay as lines on stderr when it is not a terminal (a log, CI), where the
 * bar stays silent: a long replay should not look hung.
 */
function progressLines(io: CliIo, label: string): (done: number, total: number) => void {
  if (io.stderr.isTTY === true) return () => undefined;
  let last = Date.now();
  return (done, total) => {
    if (total < LARGE_REPLAY) return;
    const t = Date.now();
    if (done < total && t - last < PROGRESS_LINE_MS) return;
    last = t;
    io.stderr.write(`${label}: ${done}/${total} (${Math.floor((done / total) * 100)}%)\n`);
  };
}

async function replay(args: ParsedArgs, io: CliIo, topic: string): Promise<number> {
  const g = args.global;
  const selection = selectionOf(args, 'replay');
  const destination = str(args, 'destination');
  const allGroups = args.values['all-groups'] === true;
  if (allGroups && destination !== undefined) throw new UsageError('replay takes --destination or --all-groups, not both: a destination goes to every group of that topic');
  const client = brokerClientOf(g);
  let result: { replayed: number; skipped: Array<{ id: string; error: string }> };
  if (client) {
    if (allGroups) throw new UsageError('--all-groups needs a direct connection (REDIS_URL without --broker): the broker replays to the group each message died in');
    const body: ReplayBody = { ...(selection === 'all' ? { all: true as const } : selection), ...(destination === undefined ? {} : { destination }) };
    result = await client.dlq.replay(topic, body);
  } else {
    result = await withDirect(g, async (bus) => {
      const bar = createProgressBar(io.stderr, `replaying ${topic}`);
      const lines = progressLines(io, `replaying ${topic}`);
      const options: ReplayOptions = {
        ...(destination === undefined ? {} : { to: destination }),
        ...(allGroups ? { allGroups } : {}),
        onProgress: (done, total) => {
          bar.update(done, total);
          lines(done, total);
        },
      };
      try {
        return await bus.reliability.deadLetters.replay(topic, selection as ReplaySelection, options);
      } finally {
        bar.finish();
      }
    });
  }
  if (g.json) io.stdout.write(json(result));
  else {
    const where = destination ? ` to ${destination}` : allGroups ? ' to every group' : '';
    io.stdout.write(`replayed ${result.replayed} dead letter${result.replayed === 1 ? '' : 's'} of ${topic}${where}\n`);
    for (const s of result.skipped) io.stdout.write(`skipped ${s.id}: ${s.error}\n`);
  }
  return 0;
}

async function purge(args: ParsedArgs, io: CliIo, topic: string): Promise<number> {
  const g = args.global;
  const ids = strs(args, 'id');
  const all = args.values.all === true;
  if ((ids.length > 0) === all) throw new UsageError('purge needs --id ID (repeatable) or --all; see agentbus dlq --help');
  const selection = all ? ('all' as const) : { ids };
  const client = brokerClientOf(g);
  const purged = client ? (await client.dlq.purge(topic, selection)).purged : await withDirect(g, (bus) => bus.reliability.deadLetters.purge(topic, selection));
  io.stdout.write(g.json ? json({ purged }) : `purged ${purged} dead letter${purged === 1 ? '' : 's'} of ${topic}\n`);
  return 0;
}

export const dlqCommand: CliCommand = {
  name: 'dlq',
  summary: 'dead letters of a topic: ls | show | replay | purge',
  usage: USAGE,
  async run(argv, io) {
    const args = parseCommandArgs('dlq', argv, {
      count: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      id: { type: 'string', multiple: true },
      all: { type: 'boolean' },
      destination: { type: 'string' },
      'all-groups': { type: 'boolean' },
    }, io.env);
    if (args.values.help) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const sub = positional(args, 0, 'a subcommand (ls, show, replay, purge)', 'dlq');
    const actions: Record<string, (a: ParsedArgs, io: CliIo, topic: string) => Promise<number>> = { ls, show, replay, purge };
    const action = Object.hasOwn(actions, sub) ? actions[sub] : undefined;
    if (!action) throw new UsageError(`unknown dlq subcommand ${JSON.stringify(sub)}: use ls, show, replay or purge`);
    return action(args, io, positional(args, 1, '<topic>', `dlq ${sub}`));
  },
};
