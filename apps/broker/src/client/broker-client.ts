import type { z } from 'zod';
import type { Envelope } from '@agentbus/schema';
import type { ReplayBody, TrimBody } from '../schemas/topics';
import type { PublishBody } from '../schemas/publish';
import {
  channelPublishResultSchema,
  claimNextResultSchema,
  comprehensiveHealthSchema,
  conflictReportSchema,
  contextResponseSchema,
  deadLetterListSchema,
  deadLetterSchema,
  errorBodySchema,
  escalationResultSchema,
  findingListSchema,
  findingResponseSchema,
  liveSchema,
  publishResultSchema,
  purgeResultSchema,
  readySchema,
  registryResponseSchema,
  remediationScanResponseSchema,
  replayResultSchema,
  sessionResponseSchema,
  swarmAgentResponseSchema,
  taskListSchema,
  taskResponseSchema,
  topicStatsSchema,
  trimResultSchema,
} from '../schemas/responses';
import type {
  claimNextBodySchema,
  contextPatchBodySchema,
  createTaskBodySchema,
  escalateBodySchema,
  postFindingBodySchema,
  registerAgentBodySchema,
  remediateBodySchema,
  sessionBodySchema,
} from '../schemas/swarm';
import { BrokerRequestError } from './broker-request-error';

export interface BrokerClientOptions {
  /** The broker's base URL, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** Bearer token; omit for a broker running without auth. */
  token?: string;
  /** Per-request timeout in ms. Default 30000. */
  timeoutMs?: number;
  /** Default the global fetch (tests may pass another). */
  fetch?: typeof fetch;
}

export const DEFAULT_BROKER_CLIENT_OPTIONS = { timeoutMs: 30_000 } as const;

type Out<S extends z.ZodType> = z.output<S>;
type In<S extends z.ZodType> = z.input<S>;

export type TaskStatusFilter = 'pending' | 'in_progress' | 'needs_assist' | 'completed' | 'failed' | 'blocked';
export interface ListTasksQuery {
  status?: TaskStatusFilter | TaskStatusFilter[];
  type?: string;
  source?: 'index' | 'scan';
  limit?: number;
  swarm?: string;
}

/** A typed client of every broker route; each answer is validated against the broker's response schema. */
export interface BrokerClient {
  readonly baseUrl: string;
  /** Publishes to a topic's stream: a whole (e.g. signed) envelope, or `{ type, payload, ... }`. */
  publish(topic: string, message: PublishBody | Envelope, options?: { partitionKey?: string; dedupeWindowMs?: number }): Promise<Out<typeof publishResultSchema>>;
  /** Publishes to a Pub/Sub channel (at-most-once). */
  publishToChannel(channel: string, message: PublishBody | Envelope): Promise<Out<typeof channelPublishResultSchema>>;
  stats(topic: string): Promise<Out<typeof topicStatsSchema>>;
  trim(topic: string, policy?: TrimBody): Promise<Out<typeof trimResultSchema>>;
  dlq: {
    list(topic: string, options?: { count?: number; from?: string; to?: string }): Promise<Out<typeof deadLetterListSchema>>;
    get(topic: string, id: string): Promise<Out<typeof deadLetterSchema>>;
    replay(topic: string, selection: ReplayBody): Promise<Out<typeof replayResultSchema>>;
    purge(topic: string, selection: { ids: readonly string[] } | 'all'): Promise<Out<typeof purgeResultSchema>>;
  };
  tasks: {
    create(input: In<typeof createTaskBodySchema>): Promise<Out<typeof taskResponseSchema>>;
    get(id: string): Promise<Out<typeof taskResponseSchema>>;
    list(query?: ListTasksQuery): Promise<Out<typeof taskListSchema>>;
    /** Atomic: of concurrent claimants exactly one gets the task, the others a 409 BrokerRequestError. */
    claim(id: string, agentId?: string): Promise<Out<typeof taskResponseSchema>>;
    /** The oldest pending task of the swarm (and type), claimed; null when there is none. */
    claimNext(options?: In<typeof claimNextBodySchema>): Promise<Out<typeof taskResponseSchema> | null>;
    release(id: string, agentId?: string): Promise<Out<typeof taskResponseSchema>>;
    complete(id: string, result: string, agentId?: string): Promise<Out<typeof taskResponseSchema>>;
    fail(id: string, error: string, agentId?: string): Promise<Out<typeof taskResponseSchema>>;
    escalate(id: string, input: In<typeof escalateBodySchema>): Promise<Out<typeof escalationResultSchema>>;
  };
  findings: {
    post(input: In<typeof postFindingBodySchema>): Promise<Out<typeof findingResponseSchema>>;
    get(id: string): Promise<Out<typeof findingResponseSchema>>;
    list(taskId: string, options?: { source?: 'index' | 'scan'; limit?: number }): Promise<Out<typeof findingListSchema>>;
    conflicts(taskId: string, options?: { threshold?: number; source?: 'index' | 'scan' }): Promise<Out<typeof conflictReportSchema>>;
  };
  context: {
    share(scope: string, name: string, patch: In<typeof contextPatchBodySchema>): Promise<Out<typeof contextResponseSchema>>;
    get(scope: string, name: string): Promise<Out<typeof contextResponseSchema>>;
  };
  sessions: {
    put(project: string, input: In<typeof sessionBodySchema>): Promise<Out<typeof sessionResponseSchema>>;
    get(project: string, date: string, label: string): Promise<Out<typeof sessionResponseSchema>>;
  };
  registry: {
    register(swarm: string, agent: In<typeof registerAgentBodySchema>): Promise<Out<typeof registryResponseSchema>>;
    roster(swarm: string): Promise<Out<typeof registryResponseSchema>>;
    heartbeat(swarm: string, agentId: string, status?: 'active' | 'idle' | 'busy' | 'offline'): Promise<Out<typeof swarmAgentResponseSchema>>;
    setAllowlist(swarm: string, allowlist: readonly string[]): Promise<Out<typeof registryResponseSchema>>;
  };
  remediate(options?: In<typeof remediateBodySchema>): Promise<Out<typeof remediationScanResponseSchema>>;
  health: {
    live(): Promise<Out<typeof liveSchema>>;
    /** Resolves with `status: 'unavailable'` on a 503 instead of throwing: that answer is the point. */
    ready(): Promise<Out<typeof readySchema>>;
    comprehensive(topics?: readonly string[]): Promise<Out<typeof comprehensiveHealthSchema>>;
  };
  /** The Prometheus text of /metrics. */
  metrics(): Promise<string>;
}

const enc = encodeURIComponent;

function query(params: Record<string, string | number | readonly string[] | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) q.append(k, String(x));
    else q.append(k, String(v));
  }
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

interface CallOptions {
  body?: unknown;
  /** Statuses whose body is parsed with the success schema instead of thrown (ready's 503). */
  accept?: readonly number[];
}

/**
 * A typed HTTP client of the broker, for agents, the CLI and the demo:
 *
 * ```ts
 * const bus = createBrokerClient({ baseUrl: 'http://127.0.0.1:8080', token: process.env.AGENTBUS_TOKEN });
 * await bus.publish('orders', { type: 'order', payload: { id: 7 } });
 * const task = await bus.tasks.claimNext({ type: 'research' });
 * ```
 *
 * Failures throw BrokerRequestError with the status, the broker's code and its reason.
 */
export function createBrokerClient(options: BrokerClientOptions): BrokerClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? DEFAULT_BROKER_CLIENT_OPTIONS.timeoutMs;
  const doFetch = options.fetch ?? fetch;

  async function send(method: string, path: string, body: unknown): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await doFetch(`${baseUrl}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      const timedOut = cause instanceof Error && cause.name === 'TimeoutError';
      const why = cause instanceof Error ? ((cause.cause as Error | undefined)?.message ?? cause.message) : String(cause);
      throw new BrokerRequestError(
        0,
        timedOut ? 'TIMEOUT' : 'CONNECTION_FAILED',
        timedOut ? `${method} ${path}: no answer from the broker at ${baseUrl} within ${timeoutMs} ms` : `cannot reach the broker at ${baseUrl}: ${why}`,
        { cause },
      );
    }
  }

  async function failure(method: string, path: string, res: Response): Promise<BrokerRequestError> {
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const e = errorBodySchema.safeParse(parsed);
    const header = Number(res.headers.get('retry-after'));
    const retryAfterMs = e.success && e.data.retryAfterMs !== undefined ? e.data.retryAfterMs : Number.isFinite(header) && header > 0 ? header * 1000 : undefined;
    if (!e.success) return new BrokerRequestError(res.status, `HTTP_${res.status}`, `${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`, retryAfterMs === undefined ? {} : { retryAfterMs });
    return new BrokerRequestError(res.status, e.data.error, e.data.reason, {
      ...(e.data.path === undefined ? {} : { path: e.data.path }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      ...(e.data.requestId === undefined ? {} : { requestId: e.data.requestId }),
    });
  }

  async function call<S extends z.ZodType>(method: string, path: string, schema: S, o: CallOptions = {}): Promise<z.output<S>> {
    const res = await send(method, path, o.body);
    if (!res.ok && !(o.accept ?? []).includes(res.status)) throw await failure(method, path, res);
    const r = schema.safeParse(await res.json().catch(() => undefined));
    if (!r.success) {
      const i = r.error.issues[0]!;
      throw new BrokerRequestError(res.status, 'INVALID_RESPONSE', `${method} ${path}: the broker's answer does not match its schema at ${i.path.map(String).join('.') || '(root)'}: ${i.message} (client and broker versions differ?)`);
    }
    return r.data;
  }

  const task = (id: string, action = '') => `/v1/swarm/tasks/${enc(id)}${action}`;
  const agentBody = (agentId?: string) => (agentId === undefined ? {} : { agent_id: agentId });

  return {
    baseUrl,
    publish: (topic, message, o = {}) =>
      call('POST', `/v1/topics/${enc(topic)}/messages${query({ partitionKey: o.partitionKey, dedupeWindowMs: o.dedupeWindowMs })}`, publishResultSchema, { body: message }),
    publishToChannel: (channel, message) => call('POST', `/v1/channels/${enc(channel)}/publish`, channelPublishResultSchema, { body: message }),
    stats: (topic) => call('GET', `/v1/topics/${enc(topic)}`, topicStatsSchema),
    trim: (topic, policy = {}) => call('POST', `/v1/topics/${enc(topic)}/trim`, trimResultSchema, { body: policy }),
    dlq: {
      list: (topic, o = {}) => call('GET', `/v1/topics/${enc(topic)}/dlq${query(o)}`, deadLetterListSchema),
      get: (topic, id) => call('GET', `/v1/topics/${enc(topic)}/dlq/${enc(id)}`, deadLetterSchema),
      replay: (topic, selection) => call('POST', `/v1/topics/${enc(topic)}/dlq/replay`, replayResultSchema, { body: selection }),
      purge: (topic, selection) =>
        call('DELETE', `/v1/topics/${enc(topic)}/dlq${selection === 'all' ? '?all=true' : query({ ids: selection.ids.join(',') })}`, purgeResultSchema),
    },
    tasks: {
      create: (input) => call('POST', '/v1/swarm/tasks', taskResponseSchema, { body: input }),
      get: (id) => call('GET', task(id), taskResponseSchema),
      list: (q = {}) =>
        call('GET', `/v1/swarm/tasks${query({ status: q.status === undefined ? undefined : Array.isArray(q.status) ? q.status : [q.status], type: q.type, source: q.source, limit: q.limit, swarm: q.swarm })}`, taskListSchema),
      claim: (id, agentId) => call('POST', task(id, '/claim'), taskResponseSchema, { body: agentBody(agentId) }),
      claimNext: async (o = {}) => (await call('POST', '/v1/swarm/tasks/claim-next', claimNextResultSchema, { body: o })).task,
      release: (id, agentId) => call('POST', task(id, '/release'), taskResponseSchema, { body: agentBody(agentId) }),
      complete: (id, result, agentId) => call('POST', task(id, '/complete'), taskResponseSchema, { body: { ...agentBody(agentId), result } }),
      fail: (id, error, agentId) => call('POST', task(id, '/fail'), taskResponseSchema, { body: { ...agentBody(agentId), error } }),
      escalate: (id, input) => call('POST', task(id, '/escalate'), escalationResultSchema, { body: input }),
    },
    findings: {
      post: (input) => call('POST', '/v1/swarm/findings', findingResponseSchema, { body: input }),
      get: (id) => call('GET', `/v1/swarm/findings/${enc(id)}`, findingResponseSchema),
      list: (taskId, o = {}) => call('GET', `${task(taskId, '/findings')}${query(o)}`, findingListSchema),
      conflicts: (taskId, o = {}) => call('GET', `${task(taskId, '/conflicts')}${query(o)}`, conflictReportSchema),
    },
    context: {
      share: (scope, name, patch) => call('PATCH', `/v1/swarm/contexts/${enc(scope)}/${enc(name)}`, contextResponseSchema, { body: patch }),
      get: (scope, name) => call('GET', `/v1/swarm/contexts/${enc(scope)}/${enc(name)}`, contextResponseSchema),
    },
    sessions: {
      put: (project, input) => call('PUT', `/v1/swarm/sessions/${enc(project)}`, sessionResponseSchema, { body: input }),
      get: (project, date, label) => call('GET', `/v1/swarm/sessions/${enc(project)}/${enc(date)}/${enc(label)}`, sessionResponseSchema),
    },
    registry: {
      register: (swarm, agent) => call('POST', `/v1/swarm/registries/${enc(swarm)}/agents`, registryResponseSchema, { body: agent }),
      roster: (swarm) => call('GET', `/v1/swarm/registries/${enc(swarm)}`, registryResponseSchema),
      heartbeat: (swarm, agentId, status) =>
        call('POST', `/v1/swarm/registries/${enc(swarm)}/agents/${enc(agentId)}/heartbeat`, swarmAgentResponseSchema, { body: status === undefined ? {} : { status } }),
      setAllowlist: (swarm, allowlist) => call('PUT', `/v1/swarm/registries/${enc(swarm)}/allowlist`, registryResponseSchema, { body: allowlist }),
    },
    remediate: (o = {}) => call('POST', '/v1/swarm/remediation', remediationScanResponseSchema, { body: o }),
    health: {
      live: () => call('GET', '/health', liveSchema),
      ready: () => call('GET', '/health/ready', readySchema, { accept: [503] }),
      comprehensive: (topics = []) => call('GET', `/health/comprehensive${query({ topic: topics })}`, comprehensiveHealthSchema, { accept: [503] }),
    },
    async metrics() {
      const res = await send('GET', '/metrics', undefined);
      if (!res.ok) throw await failure('GET', '/metrics', res);
      return res.text();
    },
  };
}
