import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { createEnvelope, PRIORITIES, signEnvelope, SPEECH_ACTS, type Envelope, type EnvelopeInput } from '@agentbus/schema';
import { GLOBAL_HELP, intFlag, parseCommandArgs, positional, str } from '../args';
import { UsageError } from '../cli-error';
import { brokerClientOf, withDirect } from '../connection';
import type { CliCommand } from '../command';
import { json } from '../format';

const USAGE = `usage: agentbus send <topic> --type TYPE [--payload JSON] [options]

Publishes one message: to the topic's stream (durable), or with --pubsub to a Pub/Sub channel.
  --type TYPE            envelope type (required), e.g. task_request
  --payload JSON         the payload, as JSON (default {}); --payload-file FILE reads it from a file
  --from AGENT           sender (default AGENTBUS_AGENT, else agentbus-cli; through a broker: the token's agent)
  --to AGENT             recipient (default broadcast)
  --act ACT              speech act (default inform): ${SPEECH_ACTS.join(', ')}
  --priority P           ${PRIORITIES.join(', ')} (default normal)
  --ttl MS               expire after MS milliseconds
  --correlation-id ID    request/response correlation
  --partition-key KEY    picks the partition of a partitioned topic
  --sign-key FILE        sign with this Ed25519 private key (PKCS#8 PEM)
  --pubsub               publish to the Pub/Sub channel <topic> instead (at-most-once)
Prints the message id and stream id.

${GLOBAL_HELP}`;

const jsonText = z.string().transform((s, ctx) => {
  try {
    return JSON.parse(s) as unknown;
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `is not JSON (${(e as Error).message}); quote strings: --payload '"hello"'` });
    return z.NEVER;
  }
});

export const sendCommand: CliCommand = {
  name: 'send',
  summary: 'publish one message to a topic (or a Pub/Sub channel with --pubsub)',
  usage: USAGE,
  async run(argv, io) {
    const args = parseCommandArgs('send', argv, {
      type: { type: 'string' },
      payload: { type: 'string' },
      'payload-file': { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      act: { type: 'string' },
      priority: { type: 'string' },
      ttl: { type: 'string' },
      'correlation-id': { type: 'string' },
      'partition-key': { type: 'string' },
      'sign-key': { type: 'string' },
      pubsub: { type: 'boolean' },
    }, io.env);
    if (args.values.help) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const g = args.global;
    const topic = positional(args, 0, '<topic>', 'send');
    const type = str(args, 'type');
    if (!type) throw new UsageError('--type is required; see agentbus send --help');
    const payloadFile = str(args, 'payload-file');
    const payloadText = payloadFile === undefined ? (str(args, 'payload') ?? '{}') : readFileSync(payloadFile, 'utf8');
    const payload = jsonText.safeParse(payloadText);
    if (!payload.success) throw new UsageError(`--payload ${payload.error.issues[0]!.message}`);
    const act = z.enum(SPEECH_ACTS).optional().safeParse(str(args, 'act'));
    if (!act.success) throw new UsageError(`--act must be one of ${SPEECH_ACTS.join(', ')}`);
    const priority = z.enum(PRIORITIES).optional().safeParse(str(args, 'priority'));
    if (!priority.success) throw new UsageError(`--priority must be one of ${PRIORITIES.join(', ')}`);
    const ttl = str(args, 'ttl');
    const client = brokerClientOf(g);
    const input: Omit<EnvelopeInput, 'from'> = {
      type,
      payload: payload.data,
      ...(str(args, 'to') === undefined ? {} : { to: str(args, 'to')! }),
      ...(act.data === undefined ? {} : { act: act.data }),
      ...(priority.data === undefined ? {} : { priority: priority.data }),
      ...(ttl === undefined ? {} : { ttlMs: intFlag('ttl', ttl, 1) }),
      ...(str(args, 'correlation-id') === undefined ? {} : { correlationId: str(args, 'correlation-id')! }),
    };
    const from = str(args, 'from') ?? (client ? undefined : (g.agent ?? 'agentbus-cli'));
    const signKey = str(args, 'sign-key');
    let env: Envelope | undefined;
    if (signKey !== undefined || !client) {
      if (from === undefined) throw new UsageError('--from is required to sign a message sent through a broker (the signed envelope names its sender)');
      env = createEnvelope({ ...input, from });
      if (signKey !== undefined) env = signEnvelope(env, readFileSync(signKey, 'utf8'));
    }
    const partitionKey = str(args, 'partition-key');
    const pubsub = args.values.pubsub === true;
    let result: Record<string, unknown>;
    if (client) {
      const message = env ?? { ...input, ...(from === undefined ? {} : { from }) };
      result = pubsub ? await client.publishToChannel(topic, message) : await client.publish(topic, message, partitionKey === undefined ? {} : { partitionKey });
    } else {
      const e = env!;
      result = await withDirect(g, async (bus) =>
        pubsub
          ? { id: e.id, channel: topic, receivers: await bus.transport.pubsub.publish(topic, e) }
          : { ...(await bus.transport.publish(topic, e, partitionKey === undefined ? {} : { partitionKey })) },
      );
    }
    if (g.json) io.stdout.write(json(result));
    else if (pubsub) io.stdout.write(`published ${String(result.id)} to channel ${topic} (${String(result.receivers)} subscribers)\n`);
    else io.stdout.write(`published ${String(result.id)} to ${String(result.topic)} as ${String(result.streamId)}${result.duplicate ? ' (duplicate: nothing written)' : ''}\n`);
    return 0;
  },
};
