import { z } from 'zod';
import { assertTopic } from '@agentbus/schema';
import { agentIdSchema, recordIdSchema } from '@agentbus/swarm';

function isTopic(value: string): boolean {
  try {
    assertTopic(value);
    return true;
  } catch {
    return false;
  }
}

/** A topic name as the transport accepts it. */
export const topicNameSchema = z
  .string()
  .refine(isTopic, 'must be 1-200 characters of A-Z a-z 0-9 . _ : - /, starting with a letter or digit');

/** A Pub/Sub channel name: a key part (no whitespace or braces). */
export const channelNameSchema = z.string().regex(/^[^\s{}]{1,512}$/, 'must be 1-512 characters without whitespace or braces');

/** A Redis stream entry id (`1700000000000-0`). */
export const streamIdSchema = z.string().regex(/^\d{1,20}-\d{1,20}$/, 'must be a stream id like 1700000000000-0');

/** A swarm id: it becomes a key part (`swarm:registry:{id}`). */
export const swarmIdSchema = recordIdSchema;

export { agentIdSchema, recordIdSchema };
