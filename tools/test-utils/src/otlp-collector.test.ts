import { afterEach, describe, expect, it } from 'vitest';
import { startOtlpCollector, type OtlpCollector } from './otlp-collector';

const exportBody = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
      scopeSpans: [
        {
          spans: [
            { name: 'publish t', kind: 4, traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), attributes: [{ key: 'n', value: { intValue: '3' } }] },
            { name: 'process t', kind: 5, traceId: 'a'.repeat(32), spanId: 'c'.repeat(16), parentSpanId: 'b'.repeat(16) },
          ],
        },
      ],
    },
  ],
};

let collector: OtlpCollector | undefined;
afterEach(async () => {
  await collector?.close();
  collector = undefined;
});

describe('startOtlpCollector', () => {
  it('keeps every POSTed JSON export and reads its spans with their service and parents', async () => {
    collector = await startOtlpCollector();
    const res = await fetch(`${collector.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(exportBody) });
    expect(res.status).toBe(200);
    expect((await fetch(collector.url)).status).toBe(405);
    expect(collector.requests.map((r) => r.path)).toEqual(['/v1/traces']);
    expect(collector.spans()).toMatchObject([
      { name: 'publish t', kind: 4, service: 'svc', parentSpanId: '', attributes: { n: '3' } },
      { name: 'process t', service: 'svc', parentSpanId: 'b'.repeat(16) },
    ]);
  });

  it('with hang, records the export and never answers (a collector that is down behind a proxy)', async () => {
    collector = await startOtlpCollector({ hang: true });
    const answered = fetch(`${collector.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', signal: AbortSignal.timeout(300) });
    await expect(answered).rejects.toThrow();
    expect(collector.requests).toHaveLength(1);
    expect(collector.spans()).toEqual([]);
  });
});
