import { AgentbusError, ERROR_CODES } from './errors';

/** Namespace used when none is configured (`REDIS_NAMESPACE`). */
export const DEFAULT_NAMESPACE = 'agentbus';

/**
 * The per-topic keys. Every one carries the hash tag `{ns:topic}`, so a topic's stream, delayed
 * set, dead letters and dedupe records live in one Redis Cluster slot and one Lua script may
 * touch them all.
 */
export const TOPIC_KEY_KINDS = [
  'stream',
  'delayed',
  'dlq',
  'dedupe',
  'meta',
  'retry',
  'dropped',
  'members',
  'dlq-dropped',
] as const;
export type TopicKeyKind = (typeof TOPIC_KEY_KINDS)[number];

/**
 * Per-group keys of a topic (same slot as its streams): `inbox`, a stream only that group reads
 * (its retries and the replays of its dead letters); `delayed`, its retries not yet due;
 * `owner`, the lease on one partition held by the consumer that reads it.
 */
export const GROUP_KEY_KINDS = ['inbox', 'delayed', 'owner'] as const;
export type GroupKeyKind = (typeof GROUP_KEY_KINDS)[number];

/** Priority lanes of a topic, most urgent first. */
export const PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

const TOPIC_RE = /^[A-Za-z0-9][A-Za-z0-9._:\-/]{0,199}$/;
const NAMESPACE_RE = /^[A-Za-z0-9._:-]{0,100}$/;
const PART_RE = /^[^\s{}]{1,512}$/;

function invalid(message: string): AgentbusError {
  return new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, message);
}

/** Throws INVALID_ARGUMENT unless `topic` is a valid topic name (1-200 of A-Z a-z 0-9 . _ : - /). */
export function assertTopic(topic: string): void {
  if (!TOPIC_RE.test(topic)) {
    throw invalid(
      `invalid topic ${JSON.stringify(topic)}: use 1-200 characters of A-Z a-z 0-9 . _ : - /, starting with a letter or digit`,
    );
  }
}

function part(name: string, value: string): string {
  if (!PART_RE.test(value)) {
    throw invalid(`invalid ${name} ${JSON.stringify(value)}: 1-512 characters, no whitespace or braces`);
  }
  return value;
}

export interface KeyBuilder {
  readonly namespace: string;
  /** `{ns:topic}:kind`, e.g. `{agentbus:orders}:stream`. */
  topic(topic: string, kind: TopicKeyKind): string;
  /** Dedupe record of one envelope id on a topic (same slot as the topic's stream). */
  dedupe(topic: string, id: string): string;
  /** A key of one consumer group on a topic: `{ns:topic}:group:<group>:<kind>` (same slot). */
  group(topic: string, group: string, kind: GroupKeyKind): string;
  /** The stream of one priority lane; `normal` is the topic's main stream. */
  lane(topic: string, priority: Priority): string;
  /** The name of partition `index` of a partitioned topic (`topic.3`): its own hash tag, so its own slot. */
  partition(topic: string, index: number): string;
  /** A Pub/Sub channel: `ns:pubsub:channel`. */
  channel(name: string): string;
  /** Pattern matching the Pub/Sub channels `pattern` selects, under the namespace. */
  channelPattern(pattern: string): string;
  /** Swarm models, in the key shapes Python agents already use, under the namespace. */
  task(id: string): string;
  finding(id: string): string;
  context(scope: string, name: string): string;
  session(project: string, date: string, label: string): string;
  swarmRegistry(id: string): string;
  remediation(date: string, scanType: string): string;
  /** Any other namespaced key: `ns:part1:part2...`. */
  key(...parts: string[]): string;
  /** Pattern for SCAN over the whole namespace. */
  all(): string;
}

/**
 * The one place key names are built. `namespace` may be empty: then swarm keys are bare
 * (`task:{id}`), shared with agents that write them without a prefix.
 */
export function createKeyBuilder(namespace: string = DEFAULT_NAMESPACE): KeyBuilder {
  if (!NAMESPACE_RE.test(namespace)) {
    throw invalid(
      `invalid namespace ${JSON.stringify(namespace)}: use up to 100 characters of A-Z a-z 0-9 . _ : - (REDIS_NAMESPACE)`,
    );
  }
  const prefix = namespace === '' ? '' : `${namespace}:`;
  const tag = (topic: string) => {
    assertTopic(topic);
    return `{${prefix}${topic}}`;
  };
  return {
    namespace,
    topic: (topic, kind) => `${tag(topic)}:${kind}`,
    dedupe: (topic, id) => `${tag(topic)}:dedupe:${part('envelope id', id)}`,
    group: (topic, group, kind) => `${tag(topic)}:group:${part('group', group)}:${kind}`,
    lane: (topic, priority) =>
      priority === 'normal' ? `${tag(topic)}:stream` : `${tag(topic)}:stream:${priority}`,
    partition: (topic, index) => {
      if (!Number.isInteger(index) || index < 0) throw invalid(`invalid partition index ${index}`);
      const name = `${topic}.${index}`;
      assertTopic(name);
      return name;
    },
    channel: (name) => `${prefix}pubsub:${part('channel', name)}`,
    channelPattern: (pattern) => `${prefix}pubsub:${part('channel pattern', pattern)}`,
    task: (id) => `${prefix}task:${part('task id', id)}`,
    finding: (id) => `${prefix}finding:${part('finding id', id)}`,
    context: (scope, name) => `${prefix}context:${part('context scope', scope)}:${part('context name', name)}`,
    session: (project, date, label) =>
      `${prefix}session:${part('project', project)}:${part('date', date)}:${part('label', label)}`,
    swarmRegistry: (id) => `${prefix}swarm:registry:${part('swarm id', id)}`,
    remediation: (date, scanType) =>
      `${prefix}swarm:remediation:${part('date', date)}:${part('scan type', scanType)}`,
    key: (...parts) => `${prefix}${parts.map((p) => part('key part', p)).join(':')}`,
    all: () => `${prefix}*`,
  };
}
