import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import { chatChannelSchema, chatTokenSchema } from './auth';
import type { ChatHubOptions } from './options';
import { CHAT_ACTIONS } from './rate-limits';

const bucketSchema = z.strictObject({ capacity: z.number().positive().optional(), refillPerSecond: z.number().positive().optional() });
const rateLimitsSchema = z.partialRecord(z.enum(CHAT_ACTIONS), bucketSchema);
const tokensFileSchema = z.union([
  z.array(chatTokenSchema),
  z.strictObject({ tokens: z.array(chatTokenSchema), channels: z.array(chatChannelSchema).optional() }),
]);

const intText = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${name} must be ${min}-${max}`);

/** The environment the hub reads; every variable optional. */
export const chatHubEnvSchema = z.object({
  CHAT_HOST: z.string().min(1).optional(),
  CHAT_PORT: intText('CHAT_PORT', 0, 65_535).optional(),
  CHAT_PATH: z.string().startsWith('/').optional(),
  CHAT_HUB_ID: z.string().optional(),
  /** JSON: an array of tokens `[{ token, id, kind, name, channels, announce }]`. */
  CHAT_TOKENS: z.string().optional(),
  /** Path of a JSON file: the same array, or `{ tokens, channels }`. */
  CHAT_TOKENS_FILE: z.string().optional(),
  /** JSON array of channels `[{ id, name, topic }]`, or comma-separated ids. */
  CHAT_CHANNELS: z.string().optional(),
  /** JSON: `{ "hello": { "capacity": 20, "refillPerSecond": 1 }, "message": { ... }, ... }`. */
  CHAT_RATE_LIMITS: z.string().optional(),
  CHAT_HEARTBEAT_MS: intText('CHAT_HEARTBEAT_MS', 100, 3_600_000).optional(),
  /** Most open connections per user on every hub together (maxConnectionsPerUser). */
  CHAT_MAX_CONNECTIONS_PER_USER: intText('CHAT_MAX_CONNECTIONS_PER_USER', 1, 1_000_000).optional(),
  /** `0` serves no web page (an agents-only hub). */
  CHAT_WEB: z.enum(['0', '1', 'false', 'true']).optional(),
});

function invalid(message: string, cause?: unknown): AgentbusError {
  return new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, message, cause === undefined ? {} : { cause });
}

function describe(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(value)'}: ${i.message}`).join('; ');
}

function parseJsonVar<S extends z.ZodType>(name: string, text: string, schema: S): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw invalid(`${name} is not valid JSON: ${(cause as Error).message}`, cause);
  }
  const r = schema.safeParse(value);
  if (!r.success) throw invalid(`${name}: ${describe(r.error)}`);
  return r.data;
}

/**
 * The hub's options from the environment (Redis itself comes from REDIS_URL / REDIS_NAMESPACE /
 * QUEUE_BACKEND through the transport). Every error names the variable to fix.
 */
export function chatHubOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ChatHubOptions {
  const parsed = chatHubEnvSchema.safeParse(env);
  if (!parsed.success) throw invalid(`chat hub environment: ${describe(parsed.error)}`);
  const e = parsed.data;
  const options: ChatHubOptions = {};
  if (e.CHAT_HOST !== undefined) options.host = e.CHAT_HOST;
  if (e.CHAT_PORT !== undefined) options.port = e.CHAT_PORT;
  if (e.CHAT_PATH !== undefined) options.path = e.CHAT_PATH;
  if (e.CHAT_HUB_ID !== undefined) options.hubId = e.CHAT_HUB_ID;
  if (e.CHAT_HEARTBEAT_MS !== undefined) options.heartbeatMs = e.CHAT_HEARTBEAT_MS;
  if (e.CHAT_MAX_CONNECTIONS_PER_USER !== undefined) options.maxConnectionsPerUser = e.CHAT_MAX_CONNECTIONS_PER_USER;
  if (e.CHAT_WEB !== undefined) options.web = e.CHAT_WEB === '1' || e.CHAT_WEB === 'true';

  const tokens: z.input<typeof chatTokenSchema>[] = [];
  const channels: z.input<typeof chatChannelSchema>[] = [];
  if (e.CHAT_TOKENS_FILE !== undefined) {
    let text: string;
    try {
      text = readFileSync(e.CHAT_TOKENS_FILE, 'utf8');
    } catch (cause) {
      throw invalid(`CHAT_TOKENS_FILE ${e.CHAT_TOKENS_FILE}: ${(cause as Error).message}`, cause);
    }
    const file = parseJsonVar('CHAT_TOKENS_FILE', text, tokensFileSchema);
    if (Array.isArray(file)) tokens.push(...file);
    else {
      tokens.push(...file.tokens);
      channels.push(...(file.channels ?? []));
    }
  }
  if (e.CHAT_TOKENS !== undefined) tokens.push(...parseJsonVar('CHAT_TOKENS', e.CHAT_TOKENS, z.array(chatTokenSchema)));
  if (e.CHAT_CHANNELS !== undefined) {
    const text = e.CHAT_CHANNELS.trim();
    if (text.startsWith('[')) channels.push(...parseJsonVar('CHAT_CHANNELS', text, z.array(chatChannelSchema)));
    else {
      for (const id of text.split(',').map((s) => s.trim()).filter(Boolean)) {
        const r = chatChannelSchema.safeParse({ id });
        if (!r.success) throw invalid(`CHAT_CHANNELS: ${JSON.stringify(id)}: ${describe(r.error)}`);
        channels.push(r.data);
      }
    }
  }
  if (tokens.length) options.tokens = tokens;
  if (channels.length) options.channels = channels;
  if (e.CHAT_RATE_LIMITS !== undefined) options.rateLimits = parseJsonVar('CHAT_RATE_LIMITS', e.CHAT_RATE_LIMITS, rateLimitsSchema);
  return options;
}
