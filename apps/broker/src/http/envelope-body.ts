import type { FastifyRequest } from 'fastify';
import { createEnvelope, type Envelope } from '@agentbus/schema';
import { parseTraceparent } from '@agentbus/metrics';
import type { z } from 'zod';
import type { Principal } from '../auth/principal';
import type { BrokerContext } from '../broker-context';
import type { publishBodySchema } from '../schemas/publish';

type PublishBodyOut = z.output<typeof publishBodySchema>;

function isWholeEnvelope(body: PublishBodyOut): body is Envelope {
  return 'v' in body;
}

/** The request's W3C traceparent header, when it is a valid one. */
export function requestTraceparent(request: FastifyRequest): string | undefined {
  const tp = request.headers.traceparent;
  return typeof tp === 'string' && parseTraceparent(tp) ? tp : undefined;
}

/**
 * The envelope a publish body stands for, checked: its `from` is the token's agent, and its
 * signature verifies (or, where the swarm requires one, it has one). Nothing is written before this.
 */
export async function envelopeFromBody(ctx: BrokerContext, p: Principal, body: PublishBodyOut, request: FastifyRequest): Promise<Envelope> {
  let env: Envelope;
  if (isWholeEnvelope(body)) {
    ctx.access.actAs(p, body.from, 'the envelope\'s from');
    env = body;
  } else {
    const from = ctx.access.actAs(p, body.from, 'from');
    const traceparent = body.traceparent ?? requestTraceparent(request);
    env = createEnvelope({ ...body, from, ...(traceparent === undefined ? {} : { traceparent }) });
  }
  await ctx.signatures.check(p, env);
  return env;
}
