import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createKeyBuilder } from '../keys';
import { unwrap } from '../result';
import { SESSION_SUMMARY_TTL_SECONDS, SessionSummaryModel, type SessionSummary } from './session-summary';

const summary: SessionSummary = {
  date: '2025-11-30',
  label: 'protocol_scan',
  project: 'infrafabric',
  summary: '12 findings shared, 2 escalated',
  metrics: { share: 12, hold: 3, escalate: 2, mean_confidence: 0.81 },
  created_at: '2025-11-30T18:00:00.000Z',
};

describe('SessionSummaryModel', () => {
  it('keeps the session:{project}:{date}:{label} key shape with a 30 day TTL', () => {
    expect(SessionSummaryModel.key(createKeyBuilder(''), 'infrafabric', '2025-11-30', 'protocol_scan')).toBe(
      'session:infrafabric:2025-11-30:protocol_scan',
    );
    expect(SessionSummaryModel.key(createKeyBuilder(), 'p', '2025-11-30', 'am')).toBe('agentbus:session:p:2025-11-30:am');
    expect(SessionSummaryModel.ttlSeconds).toBe(SESSION_SUMMARY_TTL_SECONDS);
    expect(SESSION_SUMMARY_TTL_SECONDS).toBe(2_592_000);
  });

  it('round-trips', () => {
    expect(unwrap(SessionSummaryModel.decode(SessionSummaryModel.encode(summary)))).toEqual(summary);
  });

  it('reads the JSON a Python agent writes (no project, naive timestamp)', () => {
    const s = unwrap(
      SessionSummaryModel.decode(
        JSON.stringify({
          date: '2025-11-30',
          label: 'haiku_swarm',
          summary: 'ok',
          metrics: { share: 1 },
          created_at: '2025-11-30T18:00:00.250000',
        }),
      ),
    );
    expect(s.created_at).toBe('2025-11-30T18:00:00.250Z');
    expect(s.project).toBeUndefined();
  });

  it.each([
    ['metrics', { share: 'many' }, 'metrics.share', 'invalid_type'],
    ['metrics', [1], 'metrics', 'invalid_type'],
    ['summary', null, 'summary', 'invalid_type'],
    ['date', '', 'date', 'invalid_format'],
    ['created_at', 'tonight', 'created_at', 'invalid_format'],
  ])('names a bad %s and its rule', (field, value, path, rule) => {
    const r = SessionSummaryModel.decode(JSON.stringify({ ...summary, [field]: value }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.issues[0]).toMatchObject({ path, rule });
  });

  it('round-trips any valid summary (property)', () => {
    const part = fc.stringMatching(/^[A-Za-z0-9._-]{1,30}$/);
    const arb = fc.record({
      date: part,
      label: part,
      summary: fc.string(),
      metrics: fc.dictionary(
        fc.string().filter((k) => k !== '__proto__'),
        fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (n === 0 ? 0 : n)),
      ),
      created_at: fc.date({ min: new Date(0), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
    });
    fc.assert(
      fc.property(arb, (s) => {
        expect(unwrap(SessionSummaryModel.decode(SessionSummaryModel.encode(s)))).toEqual(s);
      }),
    );
  });
});
