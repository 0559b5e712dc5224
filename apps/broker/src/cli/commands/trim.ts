import type { RetentionPolicy } from '@agentbus/transport';
import { durationFlag, GLOBAL_HELP, intFlag, parseCommandArgs, positional, str } from '../args';
import { brokerClientOf, withDirect } from '../connection';
import type { CliCommand } from '../command';
import { createProgressBar } from '../progress-bar';
import { trimInSteps } from '../stepped-trim';
import { json } from '../format';

const USAGE = `usage: agentbus trim <topic> [--max-age DURATION] [--max-len N] [--hard-max-len N]

Applies retention to a topic now. Trimming never removes an entry some consumer group has not
acked, except with --hard-max-len, which drops them too and counts them (droppedUnacked).
Without flags the topic's default policy applies (24 h).
  --max-age D        keep entries newer than D (500ms, 30s, 15m, 24h, 7d)
  --max-len N        keep about N entries
  --hard-max-len N   keep at most N entries, acked or not
A long trim runs in steps with a progress bar on a terminal. Through --broker it is one request
and needs an admin token.

${GLOBAL_HELP}`;

export const trimCommand: CliCommand = {
  name: 'trim',
  summary: 'apply retention now (never past unacked entries unless --hard-max-len)',
  usage: USAGE,
  async run(argv, io) {
    const args = parseCommandArgs('trim', argv, { 'max-age': { type: 'string' }, 'max-len': { type: 'string' }, 'hard-max-len': { type: 'string' } }, io.env);
    if (args.values.help) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const g = args.global;
    const topic = positional(args, 0, '<topic>', 'trim');
    const maxAge = str(args, 'max-age');
    const maxLen = str(args, 'max-len');
    const hard = str(args, 'hard-max-len');
    const policy: RetentionPolicy = {
      ...(maxAge === undefined ? {} : { maxAgeMs: durationFlag('max-age', maxAge) }),
      ...(maxLen === undefined ? {} : { maxLen: intFlag('max-len', maxLen, 1) }),
      ...(hard === undefined ? {} : { hardMaxLen: intFlag('hard-max-len', hard, 1) }),
    };
    const given = Object.keys(policy).length > 0 ? policy : undefined;
    const client = brokerClientOf(g);
    const result = client
      ? await client.trim(topic, given ?? {})
      : await withDirect(g, async (bus) => {
          const bar = createProgressBar(io.stderr, `trimming ${topic}`);
          try {
            return await trimInSteps(bus.transport, topic, given, (done, total) => bar.update(done, total));
          } finally {
            bar.finish();
          }
        });
    if (g.json) io.stdout.write(json(result));
    else {
      io.stdout.write(`trimmed ${result.trimmed} entr${result.trimmed === 1 ? 'y' : 'ies'} from ${topic}${result.droppedUnacked > 0 ? ` (${result.droppedUnacked} of them not yet acked: dropped by the hard cap)` : ''}\n`);
    }
    return 0;
  },
};
