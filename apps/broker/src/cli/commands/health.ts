import type { HealthReport } from '@agentbus/transport';
import { GLOBAL_HELP, intFlag, parseCommandArgs, str, strs } from '../args';
import { brokerClientOf, withDirect } from '../connection';
import type { CliCommand } from '../command';
import { json, table } from '../format';

const USAGE = `usage: agentbus health [--topic T ...] [--max-lag N] [--max-dlq N] [--json]

The backend (PING latency, version, memory) and, per --topic, its length, consumer groups with
their lag, pending entries and consumers, dead letters and delayed retries. Through --broker it
reads /health/comprehensive (breaker state too), and reports only topics the token may use.
  --topic T        a topic to report (repeatable)
  --max-lag N      exit 1 when a group of a topic lags more than N entries behind
  --max-dlq N      exit 1 when a topic holds more than N dead letters
Exits 1 when the backend does not answer or a threshold is crossed (one line says which).

${GLOBAL_HELP}`;

export interface TopicReport {
  topic: string;
  length?: number;
  groups?: Array<{ name: string; pending: number; lag: number | null; consumers: number }>;
  deadLetters?: number;
  delayedRetries?: number;
  error?: string;
}

export interface HealthSummary {
  ok: boolean;
  backend: Pick<HealthReport, 'ok' | 'backend' | 'latencyMs'> & Partial<HealthReport>;
  topics: TopicReport[];
  problems: string[];
  breaker?: string;
}

/** Threshold problems of a report; empty when healthy. */
export function problemsOf(summary: Omit<HealthSummary, 'ok' | 'problems'>, maxLag: number | undefined, maxDlq: number | undefined): string[] {
  const problems: string[] = [];
  if (!summary.backend.ok) problems.push(`${summary.backend.backend} does not answer: ${summary.backend.error ?? 'unknown error'}`);
  for (const t of summary.topics) {
    if (t.error !== undefined) problems.push(`topic ${t.topic}: ${t.error}`);
    for (const g of t.groups ?? []) {
      if (maxLag !== undefined && g.lag !== null && g.lag > maxLag) problems.push(`topic ${t.topic} group ${g.name} lags ${g.lag} entries (> --max-lag ${maxLag})`);
    }
    if (maxDlq !== undefined && (t.deadLetters ?? 0) > maxDlq) problems.push(`topic ${t.topic} holds ${t.deadLetters} dead letters (> --max-dlq ${maxDlq})`);
  }
  return problems;
}

function render(s: HealthSummary): string {
  const b = s.backend;
  const lines = [
    `${b.ok ? 'ok  ' : 'DOWN'}  ${b.backend}${b.version ? ` ${b.version}` : ''}${b.role ? ` (${b.role})` : ''}  ${b.latencyMs} ms${b.usedMemoryBytes !== undefined ? `  ${(b.usedMemoryBytes / 1_048_576).toFixed(1)} MiB used` : ''}${s.breaker ? `  breaker ${s.breaker}` : ''}`,
  ];
  const rows: string[][] = [];
  for (const t of s.topics) {
    if (t.error !== undefined) {
      rows.push([t.topic, '-', '-', '-', '-', '-', '-', `error: ${t.error}`]);
      continue;
    }
    const groups = t.groups ?? [];
    const base = [t.topic, String(t.length ?? '-'), String(t.deadLetters ?? '-'), String(t.delayedRetries ?? '-')];
    if (groups.length === 0) rows.push([...base, '(no groups)', '', '', '']);
    for (const g of groups) rows.push([...base, g.name, g.lag === null ? '?' : String(g.lag), String(g.pending), String(g.consumers)]);
  }
  if (rows.length > 0) lines.push('', table(['topic', 'length', 'dlq', 'delayed', 'group', 'lag', 'pending', 'consumers'], rows));
  return `${lines.join('\n')}\n`;
}

export const healthCommand: CliCommand = {
  name: 'health',
  summary: 'backend health and, per --topic, length, lag, pending, consumers, dead letters',
  usage: USAGE,
  async run(argv, io) {
    const args = parseCommandArgs('health', argv, { topic: { type: 'string', multiple: true }, 'max-lag': { type: 'string' }, 'max-dlq': { type: 'string' } }, io.env);
    if (args.values.help) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const g = args.global;
    const topics = strs(args, 'topic');
    const maxLagText = str(args, 'max-lag');
    const maxDlqText = str(args, 'max-dlq');
    const maxLag = maxLagText === undefined ? undefined : intFlag('max-lag', maxLagText);
    const maxDlq = maxDlqText === undefined ? undefined : intFlag('max-dlq', maxDlqText);
    const client = brokerClientOf(g);
    let base: Omit<HealthSummary, 'ok' | 'problems'>;
    if (client) {
      const h = await client.health.comprehensive(topics);
      const wanted = topics.length > 0 ? h.topics.filter((t) => topics.includes(t.topic)) : h.topics;
      base = { backend: h.backend, topics: wanted, breaker: h.breaker.state };
    } else {
      base = await withDirect(g, async (bus) => {
        const backend = await bus.transport.health();
        const reports = await Promise.all(
          topics.map(async (topic): Promise<TopicReport> => {
            try {
              const [stats, deadLetters, delayedRetries] = await Promise.all([bus.transport.stats(topic), bus.reliability.deadLetters.depth(topic), bus.reliability.delayed(topic)]);
              return { topic, length: stats.length, groups: stats.groups.map((x) => ({ name: x.name, pending: x.pending, lag: x.lag, consumers: x.consumers.length })), deadLetters, delayedRetries };
            } catch (error) {
              return { topic, error: (error as Error).message };
            }
          }),
        );
        return { backend, topics: reports };
      });
    }
    const problems = problemsOf(base, maxLag, maxDlq);
    const summary: HealthSummary = { ok: problems.length === 0, ...base, problems };
    io.stdout.write(g.json ? json(summary) : render(summary));
    if (problems.length === 0) return 0;
    io.stderr.write(`agentbus health: unhealthy: ${problems.join('; ')}\n`);
    return 1;
  },
};
