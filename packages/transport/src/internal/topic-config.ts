import {
  AgentbusError,
  assertTopic,
  encodeEnvelope,
  ERROR_CODES,
  PRIORITIES,
  type Envelope,
  type EnvelopeCodecOptions,
  type KeyBuilder,
  type Priority,
} from '@agentbus/schema';
import { DEFAULT_DEDUPE_WINDOW_MS, DEFAULT_RETENTION } from '../options';
import { partitionFor } from '../partition';
import type { PublishOptions, PublishResult, RetentionPolicy, TopicOptions } from '../types';
import type { AddOutcome, AddRequest } from './stream-backend';

/** One partition's stream keys, built once per topic instead of once per message. */
export interface Target {
  name: string;
  lanes: Record<Priority, string>;
  budget: string[];
}

export interface ResolvedTopic {
  partitions: number;
  retention: RetentionPolicy;
  maxBacklog: number;
  dedupeWindowMs: number;
  targets: Target[];
}

/** What a transport keeps per topic it published to or consumed. */
export interface TopicState {
  cfg: ResolvedTopic;
  /** When the retention timer next trims it (ms). */
  trimDue: number;
  /** Groups this process consumes it in: their inboxes are trimmed too. */
  groups: Set<string>;
}


/** A topic's configuration from its options (defaults applied), with its stream keys built once. */
export function resolveTopic(keys: KeyBuilder, topic: string, o: TopicOptions): ResolvedTopic {
  assertTopic(topic);
  const partitions = o.partitions ?? 1;
  const names = partitions <= 1 ? [topic] : Array.from({ length: partitions }, (_, p) => keys.partition(topic, p));
  return {
    partitions,
    retention: o.retention ?? DEFAULT_RETENTION,
    maxBacklog: o.maxBacklog ?? 0,
    dedupeWindowMs: o.dedupeWindowMs ?? DEFAULT_DEDUPE_WINDOW_MS,
    targets: names.map((name) => {
      const lanes = Object.fromEntries(PRIORITIES.map((p) => [p, keys.lane(name, p)])) as Record<Priority, string>;
      return { name, lanes, budget: PRIORITIES.map((p) => lanes[p]) };
    }),
  };
}

export function targetOf(cfg: ResolvedTopic, env: Envelope, o: PublishOptions | undefined): Target {
  // Without a partition key the envelope id picks the partition, so a retried publish of the
  // same envelope meets its dedupe record.
  return cfg.partitions > 1 ? cfg.targets[partitionFor(o?.partitionKey ?? env.id, cfg.partitions)]! : cfg.targets[0]!;
}

/** The backend request of one publish: its lane (or the group's inbox), dedupe and budget. */
export function publishRequest(
  keys: KeyBuilder,
  codec: EnvelopeCodecOptions,
  cfg: ResolvedTopic,
  target: Target,
  env: Envelope,
  o: PublishOptions | undefined,
): AddRequest {
  const encoded = encodeEnvelope(env, codec);
  if (!encoded.ok) throw encoded.error;
  // A publish addressed to one group goes to that group's inbox: no other group sees it.
  const stream = o?.group !== undefined ? keys.group(target.name, o.group, 'inbox') : target.lanes[env.priority];
  if (stream === undefined) {
    throw new AgentbusError(ERROR_CODES.INVALID_MESSAGE, `envelope ${env.id}: unknown priority ${String(env.priority)}`);
  }
  const req: AddRequest = { stream, raw: encoded.value };
  if (o?.headers) req.headers = JSON.stringify(o.headers);
  const window = o?.dedupeWindowMs ?? cfg.dedupeWindowMs;
  if (window > 0) {
    req.dedupeKey = keys.dedupe(target.name, env.id);
    req.dedupeWindowMs = window;
  }
  if (cfg.maxBacklog > 0) {
    req.maxBacklog = cfg.maxBacklog;
    req.budgetStreams = target.budget;
  }
  return req;
}

export function publishResult(env: Envelope, out: AddOutcome, target: Target): PublishResult | null {
  if (out.kind === 'backpressure') return null;
  return { id: env.id, streamId: out.streamId, topic: target.name, duplicate: out.kind === 'duplicate' };
}
