import { hostname } from 'node:os';
import { GLOBAL_HELP, intFlag, parseCommandArgs, positional, str } from '../args';
import { UsageError } from '../cli-error';
import { directOnly, withDirect } from '../connection';
import type { CliCommand } from '../command';
import { envelopeLine } from '../format';

const USAGE = `usage: agentbus consume <topic> --group G [--consumer C] [--count N] [--concurrency N] [--json]

An example consumer: joins consumer group G as consumer C, prints each message and acks it (a
message is acked only after its handler resolved). Retries and dead letters are on, as in
agentbus-worker. Stops after --count messages, or on Ctrl-C, after acking what it handled.
  --group G         consumer group (created at the stream's start when missing; required)
  --consumer C      consumer name, unique in the group (default REDIS_CONSUMER, else host-pid)
  --count N         stop after N messages
  --concurrency N   messages handled at once (default 1, so the output keeps stream order)
  --json            one envelope per line (JSON), with "streamId", "attempt" and "lane" added
Talks to Redis directly (--broker is refused: consumer groups live in Redis).

${GLOBAL_HELP}`;

export const consumeCommand: CliCommand = {
  name: 'consume',
  summary: 'an example consumer: join a group, print each message, ack it',
  usage: USAGE,
  async run(argv, io) {
    const args = parseCommandArgs('consume', argv, {
      group: { type: 'string' },
      consumer: { type: 'string' },
      count: { type: 'string' },
      concurrency: { type: 'string' },
    }, io.env);
    if (args.values.help) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const g = args.global;
    directOnly(g, 'consume', 'consumer groups live in Redis');
    const topic = positional(args, 0, '<topic>', 'consume');
    const group = str(args, 'group');
    if (!group) throw new UsageError('--group is required; see agentbus consume --help');
    const consumerName = str(args, 'consumer') ?? (io.env.REDIS_CONSUMER || `${hostname()}-${process.pid}`);
    const countText = str(args, 'count');
    const count = countText === undefined ? undefined : intFlag('count', countText, 1);
    const concurrencyText = str(args, 'concurrency');
    const concurrency = concurrencyText === undefined ? 1 : intFlag('concurrency', concurrencyText, 1);

    return withDirect(g, async (bus) => {
      let handled = 0;
      let done: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => (done = resolve));
      const consumer = bus.reliability.consume(
        topic,
        (env, ctx) => {
          // Past --count, an extra delivery waits for the close to abort it: it is then neither
          // acked nor retried, and stays pending for the group's next reader.
          if (count !== undefined && handled >= count) return new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
          handled++;
          io.stdout.write(
            `${g.json ? JSON.stringify({ ...env, streamId: ctx.streamId, attempt: ctx.attempt, lane: ctx.lane }) : `${envelopeLine(env, ctx.streamId)}  (attempt ${ctx.attempt}, acked)`}\n`,
          );
          if (count !== undefined && handled >= count) done();
        },
        { group, consumer: consumerName, concurrency, blockMs: 500, onError: (e) => io.stderr.write(`agentbus consume: ${e.message}\n`) },
      );
      await consumer.ready();
      io.stderr.write(`agentbus consume: consuming ${topic} as ${consumerName} in group ${group}; Ctrl-C stops\n`);
      const onAbort = () => done();
      io.signal.addEventListener('abort', onAbort, { once: true });
      if (io.signal.aborted) done();
      await finished;
      io.signal.removeEventListener('abort', onAbort);
      // Handled messages are settled already; only extras are in flight, and they are to be left.
      await consumer.close(500);
      io.stderr.write(`agentbus consume: handled and acked ${handled} message${handled === 1 ? '' : 's'}\n`);
      return 0;
    });
  },
};
