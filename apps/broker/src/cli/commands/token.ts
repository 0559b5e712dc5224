import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { accessPatternSchema, hashToken, type TokenConfig } from '../../auth/tokens';
import { agentIdSchema, swarmIdSchema } from '../../schemas/names';
import { GLOBAL_HELP, parseCommandArgs, positional, str, strs } from '../args';
import { UsageError } from '../cli-error';
import type { CliCommand } from '../command';
import { json } from '../format';

const USAGE = `usage: agentbus token new --agent A --swarm S [--swarm S2 ...] [--topic P ...] [--channel P ...] [--admin] [--label L]
       agentbus token hash <token>

  new    makes a random bearer token and prints it once, with the entry to add to the broker's
         token file (BROKER_TOKENS_FILE, "tokens": [...]): the entry holds only its sha256.
         --topic / --channel take a name, * or a prefix ending in * (tasks.*).
  hash   prints the sha256 of a token (what the token file holds).
Needs neither Redis nor a broker.

${GLOBAL_HELP}`;

function check<T>(schema: z.ZodType<T>, value: unknown, flag: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new UsageError(`--${flag} ${r.error.issues[0]!.message}`);
  return r.data;
}

export const tokenCommand: CliCommand = {
  name: 'token',
  summary: 'make a broker token (new) or hash one (hash)',
  usage: USAGE,
  async run(argv, io) {
    const args = parseCommandArgs('token', argv, {
      agent: { type: 'string' },
      swarm: { type: 'string', multiple: true },
      topic: { type: 'string', multiple: true },
      channel: { type: 'string', multiple: true },
      admin: { type: 'boolean' },
      label: { type: 'string' },
    }, io.env);
    if (args.values.help) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const sub = positional(args, 0, 'a subcommand (new, hash)', 'token');
    if (sub === 'hash') {
      const token = positional(args, 1, '<token>', 'token hash');
      io.stdout.write(args.global.json ? json({ sha256: hashToken(token) }) : `${hashToken(token)}\n`);
      return 0;
    }
    if (sub !== 'new') throw new UsageError(`unknown token subcommand ${JSON.stringify(sub)}: use new or hash`);
    const agent = check(agentIdSchema, str(args, 'agent') ?? '', 'agent');
    const swarms = check(z.array(swarmIdSchema).min(1, 'is required (the swarms the token may use; the first is its home)'), strs(args, 'swarm'), 'swarm');
    const topics = check(z.array(accessPatternSchema), strs(args, 'topic'), 'topic');
    const channels = check(z.array(accessPatternSchema), strs(args, 'channel'), 'channel');
    const token = `ab_${randomBytes(24).toString('base64url')}`;
    const entry: TokenConfig = {
      ...(str(args, 'label') === undefined ? {} : { label: str(args, 'label')! }),
      sha256: hashToken(token),
      agent,
      swarms,
      topics,
      channels,
      ...(args.values.admin === true ? { admin: true } : {}),
    };
    if (args.global.json) io.stdout.write(json({ token, entry }));
    else {
      io.stdout.write(`token (shown once; give it to ${agent}, e.g. as AGENTBUS_TOKEN): ${token}\n`);
      io.stdout.write(`entry for the broker's token file ("tokens": [...]):\n${json(entry)}`);
    }
    return 0;
  },
};
