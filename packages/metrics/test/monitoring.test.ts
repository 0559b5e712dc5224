import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { testTool } from '@agentbus/test-utils';
import { createMetrics, HISTOGRAM_NAMES, METRIC_NAMES } from '../src/index';

// The dashboards and alert rules operators load live at the workspace root, beside no code: this
// test is what ties them to the metric names the code registers.
const monitoring = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../monitoring');
const dashboardFiles = readdirSync(path.join(monitoring, 'grafana')).filter((f) => f.endsWith('.json'));
const ruleFiles = readdirSync(path.join(monitoring, 'prometheus')).filter((f) => f.endsWith('.yml') && !f.endsWith('.test.yml'));
const ruleTestFiles = readdirSync(path.join(monitoring, 'prometheus')).filter((f) => f.endsWith('.test.yml'));

interface Panel {
  title: string;
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}
const panelSchema: z.ZodType<Panel> = z.lazy(() =>
  z.object({
    title: z.string(),
    targets: z.array(z.object({ expr: z.string().min(1) })).optional(),
    panels: z.array(panelSchema).optional(),
  }),
);
const dashboardSchema = z.object({
  title: z.string(),
  uid: z.string(),
  panels: z.array(panelSchema).min(1),
  templating: z.object({
    list: z.array(z.object({ name: z.string(), query: z.union([z.string(), z.object({ query: z.string() })]).optional() })),
  }),
});
const rulesSchema = z.object({
  groups: z
    .array(
      z.object({
        name: z.string(),
        rules: z.array(z.object({ alert: z.string().optional(), record: z.string().optional(), expr: z.string().min(1) })).min(1),
      }),
    )
    .min(1),
});

interface Expression {
  where: string;
  expr: string;
}

function dashboardExpressions(file: string): Expression[] {
  const d = dashboardSchema.parse(JSON.parse(readFileSync(path.join(monitoring, 'grafana', file), 'utf8')));
  const out: Expression[] = [];
  const walk = (panels: Panel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) out.push({ where: `${file}: panel "${p.title}"`, expr: t.expr });
      walk(p.panels ?? []);
    }
  };
  walk(d.panels);
  for (const v of d.templating.list) {
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    if (q?.includes('agentbus_')) out.push({ where: `${file}: variable $${v.name}`, expr: q });
  }
  return out;
}

function ruleExpressions(file: string): Expression[] {
  const r = rulesSchema.parse(parseYaml(readFileSync(path.join(monitoring, 'prometheus', file), 'utf8')));
  return r.groups.flatMap((g) => g.rules.map((rule) => ({ where: `${file}: ${rule.alert ?? rule.record}`, expr: rule.expr })));
}

/** Every series name the code exposes: each metric, and a histogram's _bucket, _sum, _count. */
function exposedNames(): Set<string> {
  const metrics = createMetrics();
  const names = new Set(metrics.registry.getMetricsAsArray().map((m) => m.name));
  metrics.close();
  for (const h of HISTOGRAM_NAMES) for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${h}${suffix}`);
  return names;
}

const metricNamesIn = (expr: string): string[] => [...expr.matchAll(/\bagentbus_[a-zA-Z0-9_]+/g)].map((m) => m[0]);

// Under CI a missing promtool fails the suite here instead of skipping its checks.
const promtool = testTool('promtool', { install: 'apt-get install prometheus' }) !== undefined;

describe('monitoring/: the Grafana dashboard and the Prometheus alert rules', () => {
  const dashboards = dashboardFiles.flatMap(dashboardExpressions);
  const rules = ruleFiles.flatMap(ruleExpressions);

  it('exist and hold expressions', () => {
    expect(dashboardFiles.length).toBeGreaterThan(0);
    expect(ruleFiles.length).toBeGreaterThan(0);
    expect(dashboards.length).toBeGreaterThan(10);
    expect(rules.length).toBeGreaterThanOrEqual(4);
  });

  it('name in every expression only metrics the code registers', () => {
    const exposed = exposedNames();
    const unknown: string[] = [];
    for (const { where, expr } of [...dashboards, ...rules]) {
      const names = metricNamesIn(expr);
      if (names.length === 0) unknown.push(`${where}: names no agentbus metric: ${expr}`);
      for (const n of names) if (!exposed.has(n)) unknown.push(`${where}: ${n}`);
    }
    expect(unknown).toEqual([]);
  });

  it('alert on lag growing, dead letters, an open breaker and a group with no consumers', () => {
    const alerts = rules.map((r) => r.where.split(': ')[1]);
    expect(alerts).toEqual(
      expect.arrayContaining(['AgentbusConsumerLagGrowing', 'AgentbusDeadLettersWaiting', 'AgentbusCircuitBreakerOpen', 'AgentbusGroupWithoutConsumers']),
    );
  });

  it('show throughput, lag, latency quantiles, dead letters, breaker state and chat connections', () => {
    const all = dashboards.map((d) => d.expr).join('\n');
    for (const name of [
      METRIC_NAMES.published,
      METRIC_NAMES.acked,
      METRIC_NAMES.consumerLag,
      METRIC_NAMES.deadLetterDepth,
      METRIC_NAMES.breakerState,
      METRIC_NAMES.chatConnections,
    ]) {
      expect(all).toContain(name);
    }
    expect(all).toMatch(/histogram_quantile\(0\.99, sum by \(le, topic\) \(rate\(agentbus_end_to_end_latency_seconds_bucket/);
  });

  it.skipIf(!promtool)('pass `promtool check rules` and `promtool test rules`', () => {
    for (const f of ruleFiles) {
      const r = spawnSync('promtool', ['check', 'rules', f], { cwd: path.join(monitoring, 'prometheus'), encoding: 'utf8' });
      expect(r.status, `${f}\n${r.stdout}${r.stderr}`).toBe(0);
    }
    for (const f of ruleTestFiles) {
      const r = spawnSync('promtool', ['test', 'rules', f], { cwd: path.join(monitoring, 'prometheus'), encoding: 'utf8' });
      expect(r.status, `${f}\n${r.stdout}${r.stderr}`).toBe(0);
    }
  });

  it.skipIf(!promtool)('have dashboard queries that are valid PromQL (checked by promtool as recording rules)', () => {
    // Grafana variables replaced by what they expand to, so promtool parses what Prometheus would.
    const concrete = (expr: string) =>
      expr.replaceAll('$__rate_interval', '5m').replaceAll('$topic', '.*').replaceAll('$group', '.*');
    const queries = dashboards.filter((d) => !d.where.includes('variable'));
    const file = {
      groups: [{ name: 'dashboard', rules: queries.map((q, i) => ({ record: `agentbus_dashboard:query_${i}`, expr: concrete(q.expr) })) }],
    };
    const dir = mkdtempSync(path.join(os.tmpdir(), 'agentbus-dashboard-'));
    try {
      writeFileSync(path.join(dir, 'dashboard.yml'), stringifyYaml(file));
      const r = spawnSync('promtool', ['check', 'rules', 'dashboard.yml'], { cwd: dir, encoding: 'utf8' });
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

});
