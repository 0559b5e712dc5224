import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createKeyBuilder } from '../keys';
import { unwrap } from '../result';
import { REMEDIATION_SCAN_TTL_SECONDS, RemediationScanModel, type RemediationScan } from './remediation-scan';

// JSON has no -0: compare values as they survive JSON.stringify.
const jsonValue = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);

const scan: RemediationScan = {
  date: '2025-11-30',
  scan_type: 'redis_cleanup',
  keys_scanned: 1200,
  wrong_type_found: 1,
  violations: [{ key: 'task:abc', expected_type: 'hash', actual_type: 'string', issue: 'task stored as JSON string' }],
  actions: ['renamed task:abc to task:abc:quarantine', { action: 'expire', key: 'finding:old', ttl: 3600 }],
  timestamp: '2025-11-30T03:00:00.000Z',
};

describe('RemediationScanModel', () => {
  it('keeps the swarm:remediation:{date}:{scan_type} key shape with a 7 day TTL', () => {
    expect(RemediationScanModel.key(createKeyBuilder(''), '2025-11-30', 'redis_cleanup')).toBe(
      'swarm:remediation:2025-11-30:redis_cleanup',
    );
    expect(RemediationScanModel.key(createKeyBuilder(), '2025-11-30', 'ttl')).toBe('agentbus:swarm:remediation:2025-11-30:ttl');
    expect(RemediationScanModel.ttlSeconds).toBe(REMEDIATION_SCAN_TTL_SECONDS);
  });

  it('round-trips', () => {
    expect(unwrap(RemediationScanModel.decode(RemediationScanModel.encode(scan)))).toEqual(scan);
  });

  it('reads the field names older Python scans write', () => {
    const s = unwrap(
      RemediationScanModel.decode(
        JSON.stringify({
          date: '2025-11-30',
          scan_type: 'redis_cleanup',
          keys_scanned: 10,
          wrongtype_found: 2,
          expired_found: 0,
          violations: [],
          actions_taken: ['deleted finding:x'],
          created_at: '2025-11-30T03:00:00.123456',
        }),
      ),
    );
    expect(s).toEqual({
      date: '2025-11-30',
      scan_type: 'redis_cleanup',
      keys_scanned: 10,
      wrong_type_found: 2,
      expired_found: 0,
      violations: [],
      actions: ['deleted finding:x'],
      timestamp: '2025-11-30T03:00:00.123Z',
    });
    // The old names are gone, so a re-encoded scan carries one count, not two.
    expect(JSON.parse(RemediationScanModel.encode(s))).not.toHaveProperty('wrongtype_found');
  });

  it.each([
    ['keys_scanned', -1, 'keys_scanned', 'too_small'],
    ['wrong_type_found', 1.5, 'wrong_type_found', 'invalid_type'],
    ['violations', [{ key: 'task:a', expected_type: 'hash', issue: 'x' }], 'violations.0.actual_type', 'invalid_type'],
    ['violations', ['task:a is a string'], 'violations.0', 'invalid_type'],
    ['actions', [42], 'actions.0', 'invalid_union'],
    ['timestamp', 'dawn', 'timestamp', 'invalid_format'],
  ])('names a bad %s and its rule', (field, value, path, rule) => {
    const r = RemediationScanModel.decode(JSON.stringify({ ...scan, [field]: value }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.issues[0]).toMatchObject({ path, rule });
  });

  it('round-trips any valid scan (property)', () => {
    const text = fc.string({ minLength: 1 });
    const arb = fc.record({
      keys_scanned: fc.nat(),
      wrong_type_found: fc.nat(),
      violations: fc.array(fc.record({ key: text, expected_type: text, actual_type: text, issue: text })),
      actions: fc.array(fc.oneof(fc.string(), fc.dictionary(fc.string().filter((k) => k !== '__proto__'), jsonValue))),
      timestamp: fc.date({ min: new Date(0), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
    });
    fc.assert(
      fc.property(arb, (s) => {
        expect(unwrap(RemediationScanModel.decode(RemediationScanModel.encode(s)))).toEqual(s);
      }),
    );
  });
});
