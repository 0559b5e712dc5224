import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import type { PublishResult } from './types';

/** A topic is over its budget (`maxBacklog`): nothing was written; try again after `retryAfterMs`. */
export class BackpressureError extends AgentbusError {
  readonly topic: string;
  readonly length: number;
  readonly retryAfterMs: number;
  /** For a batch: what was written (null where nothing was), in input order. */
  readonly results: ReadonlyArray<PublishResult | null>;

  constructor(topic: string, length: number, maxBacklog: number, retryAfterMs: number, results: ReadonlyArray<PublishResult | null> = []) {
    super(
      ERROR_CODES.BACKPRESSURE,
      `topic ${topic} holds ${length} entries, at its budget of ${maxBacklog} (maxBacklog): retry after ${retryAfterMs} ms, consume faster, or raise maxBacklog`,
    );
    this.name = 'BackpressureError';
    this.topic = topic;
    this.length = length;
    this.retryAfterMs = retryAfterMs;
    this.results = results;
  }
}

export function closedError(what: string): AgentbusError {
  return new AgentbusError(ERROR_CODES.CLOSED, `${what} is closed`);
}
