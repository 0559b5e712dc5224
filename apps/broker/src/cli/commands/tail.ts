import type { Redis } from 'ioredis';
import { PRIORITIES } from '@agentbus/schema';
import type { SubscriptionHandler } from '@agentbus/transport';
import { GLOBAL_HELP, intFlag, parseCommandArgs, positional, str } from '../args';
import { UsageError } from '../cli-error';
import { connectDirect, directOnly, type DirectBus } from '../connection';
import type { CliCommand } from '../command';
import type { CliIo } from '../cli-io';
import { decodeRaw, envelopeLine, truncate } from '../format';

const USAGE = `usage: agentbus tail <topic> [--from ID] [--count N] [--partitions N] [--json]
       agentbus tail --channel NAME | --pattern GLOB [--count N] [--json]

Follows a topic's stream (every priority lane and partition) without joining a consumer group,
so it acks nothing and changes nothing; or a Pub/Sub channel (--channel) or pattern (--pattern).
  --from ID         where to start: $ (new messages only, default), 0 (from the oldest), or a stream id
  --count N         stop after N messages
  --partitions N    the topic is partitioned into N (topic.0 .. topic.N-1)
  --json            one envelope per line (JSON), with "streamId" and "stream" added for streams
Pretty lines: time  stream-id  priority  from -> to  type/act  payload. Ctrl-C stops.
Talks to Redis directly (--broker is refused: the broker has no streaming endpoint).

${GLOBAL_HELP}`;

interface Emitter {
  emit(line: string): boolean;
}

/** Counts what was printed and says when --count is reached. */
function emitter(io: CliIo, count: number | undefined, stop: () => void): Emitter {
  let n = 0;
  return {
    emit(line) {
      io.stdout.write(`${line}\n`);
      n++;
      if (count !== undefined && n >= count) {
        stop();
        return false;
      }
      return true;
    },
  };
}

type XReadReply = Array<[string, Array<[string, string[]]>]> | null;

/** The id of each stream's newest entry, so `$` means "after what exists now" across loop turns. */
async function lastIds(redis: Redis, keys: readonly string[]): Promise<string[]> {
  return Promise.all(
    keys.map(async (k) => {
      const last = (await redis.xrevrange(k, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
      return last[0]?.[0] ?? '0-0';
    }),
  );
}

async function followStreams(bus: DirectBus, topic: string, partitions: number, from: string, out: Emitter, io: CliIo, asJson: boolean, signal: AbortSignal): Promise<void> {
  if (partitions > 1) bus.transport.defineTopic(topic, { partitions });
  const readers = bus.transport.partitionsOf(topic).map(async (pt) => {
    const keys = PRIORITIES.map((p) => bus.transport.keys.lane(pt, p));
    const laneOf = new Map(keys.map((k, i) => [k, PRIORITIES[i]!]));
    const ids = from === '$' ? await lastIds(bus.redis, keys) : keys.map(() => from);
    // A blocking XREAD holds its connection: one of its own per partition.
    const conn = bus.redis.duplicate();
    const onAbort = () => conn.disconnect();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        let reply: XReadReply;
        try {
          reply = (await conn.xread('COUNT', 100, 'BLOCK', 500, 'STREAMS', ...keys, ...ids)) as XReadReply;
        } catch (error) {
          if (signal.aborted) return;
          throw error;
        }
        for (const [key, entries] of reply ?? []) {
          const i = keys.indexOf(key);
          for (const [streamId, fields] of entries) {
            ids[i] = streamId;
            const raw = fields[fields.indexOf('env') + 1] ?? '';
            const d = decodeRaw(raw);
            const line =
              'env' in d
                ? asJson
                  ? JSON.stringify({ ...d.env, streamId, stream: pt, lane: laneOf.get(key) })
                  : envelopeLine(d.env, `${pt} ${streamId}`)
                : asJson
                  ? JSON.stringify({ invalid: d.error, raw, streamId, stream: pt })
                  : `invalid entry ${pt} ${streamId}: ${d.error}: ${truncate(raw, 120)}`;
            if (!out.emit(line)) return;
          }
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      conn.disconnect();
    }
  });
  io.stderr.write(`agentbus tail: following topic ${topic} (${readers.length} partition${readers.length === 1 ? '' : 's'} x ${PRIORITIES.length} lanes, from ${from}); Ctrl-C stops\n`);
  await Promise.all(readers);
}

async function followChannel(bus: DirectBus, name: string, pattern: boolean, out: Emitter, io: CliIo, asJson: boolean, signal: AbortSignal): Promise<void> {
  const handler: SubscriptionHandler = (env, channel) => {
    out.emit(asJson ? JSON.stringify({ ...env, channel }) : envelopeLine(env, channel));
  };
  const onInvalid = (raw: string, error: Error, channel: string) => out.emit(asJson ? JSON.stringify({ invalid: error.message, raw, channel }) : `invalid message on ${channel}: ${error.message}`);
  const sub = pattern ? bus.transport.pubsub.psubscribe(name, handler, { onInvalid }) : bus.transport.pubsub.subscribe(name, handler, { onInvalid });
  await sub.ready();
  io.stderr.write(`agentbus tail: following ${pattern ? 'pattern' : 'channel'} ${name}; Ctrl-C stops\n`);
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await sub.unsubscribe();
}

export const tailCommand: CliCommand = {
  name: 'tail',
  summary: 'follow a topic (without a group) or a Pub/Sub channel, pretty or --json',
  usage: USAGE,
  async run(argv, io) {
    const args = parseCommandArgs('tail', argv, {
      from: { type: 'string' },
      count: { type: 'string' },
      partitions: { type: 'string' },
      channel: { type: 'string' },
      pattern: { type: 'string' },
    }, io.env);
    if (args.values.help) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const g = args.global;
    directOnly(g, 'tail', 'the broker has no streaming endpoint');
    const channel = str(args, 'channel');
    const pattern = str(args, 'pattern');
    if (channel !== undefined && pattern !== undefined) throw new UsageError('give --channel or --pattern, not both');
    const topic = channel === undefined && pattern === undefined ? positional(args, 0, '<topic> (or --channel / --pattern)', 'tail') : undefined;
    const from = str(args, 'from') ?? '$';
    if (!/^(\$|0|\d+(-\d+)?)$/.test(from)) throw new UsageError(`--from must be $, 0 or a stream id, got ${JSON.stringify(from)}`);
    const countText = str(args, 'count');
    const count = countText === undefined ? undefined : intFlag('count', countText, 1);
    const partitionsText = str(args, 'partitions');
    const partitions = partitionsText === undefined ? 1 : intFlag('partitions', partitionsText, 1);

    const controller = new AbortController();
    const stop = () => controller.abort();
    io.signal.addEventListener('abort', stop, { once: true });
    const out = emitter(io, count, stop);
    const bus = await connectDirect(g);
    try {
      if (topic !== undefined) await followStreams(bus, topic, partitions, from, out, io, g.json, controller.signal);
      else await followChannel(bus, (channel ?? pattern)!, pattern !== undefined, out, io, g.json, controller.signal);
    } finally {
      io.signal.removeEventListener('abort', stop);
      await bus.close();
    }
    return 0;
  },
};
