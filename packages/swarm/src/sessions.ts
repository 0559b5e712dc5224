import { SessionSummaryModel, type SessionSummary } from '@agentbus/schema';
import { notFound } from './errors';
import { recordIdSchema, sessionSummaryInputSchema, type SessionSummaryInput } from './inputs';
import { parseArgument, parseInput } from './internal/parse';
import { decodeOrThrow, type RecordReader } from './internal/records';
import type { SwarmContext } from './internal/swarm-context';

const SESSION_READER: RecordReader<SessionSummary> = { what: 'session summary', expected: 'string', string: SessionSummaryModel };

/** What one swarm run did: `session:{project}:{date}:{label}`. */
export interface SwarmSessions {
  /** Stores (or replaces) the summary of a run. */
  putSessionSummary(project: string, input: SessionSummaryInput): Promise<SessionSummary>;
  getSessionSummary(project: string, date: string, label: string): Promise<SessionSummary>;
}

export function createSwarmSessions(ctx: SwarmContext): SwarmSessions {
  return {
    async putSessionSummary(project, input) {
      const p = parseArgument(recordIdSchema, project, 'project');
      const i = parseInput(sessionSummaryInputSchema, input, 'session summary input');
      const summary: SessionSummary = {
        date: i.date,
        label: i.label,
        project: p,
        summary: i.summary,
        metrics: i.metrics,
        created_at: i.created_at ?? ctx.isoNow(),
      };
      await ctx.store.putString(ctx.keys.session(p, i.date, i.label), SessionSummaryModel.encode(summary), SessionSummaryModel.ttlSeconds);
      return summary;
    },
    async getSessionSummary(project, date, label) {
      const key = ctx.keys.session(project, date, label);
      return decodeOrThrow(key, await ctx.store.read(key), SESSION_READER, () =>
        notFound(`session summary ${project}/${date}/${label} not found (${key}); summaries expire ${SessionSummaryModel.ttlSeconds} s after they were stored`),
      );
    },
  };
}
