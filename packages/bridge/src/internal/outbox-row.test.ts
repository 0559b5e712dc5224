import { expect, it } from 'vitest';
import { parseClaimedRow } from './outbox-row';

const good = {
  id: '12',
  event_id: '0190a7e2-3b4c-7d5e-8f60-718293a4b5c6',
  source_module: 'm',
  event: { base_log_id: 1, source_module: 'm', timestamp: 1_700_000_000, event_type: 'prompt_trace', data: {} },
  traceparent: null,
  created_ms: 1,
};

it('checks every column of a claimed row', () => {
  const ok = parseClaimedRow(good);
  expect(ok).toMatchObject({ ok: true, row: { id: '12', topic: 'mem0.recorded.m', event: { base_log_id: '1', trace_id: null } } });
  expect(parseClaimedRow({ ...good, traceparent: 'garbage' })).toMatchObject({ ok: true, row: { traceparent: null } });
  expect(parseClaimedRow({ ...good, event_id: 'a8098c1a-f86e-41da-a1d2-0f8e5f0f1d3b' })).toMatchObject({
    ok: false,
    rejected: { id: '12', error: expect.stringMatching(/not a UUIDv7/) },
  });
  // Without a usable id the row cannot even be set aside: the caller fails the batch.
  expect(parseClaimedRow({ ...good, id: 12 })).toMatchObject({ ok: false, rejected: { id: '' } });
  expect(parseClaimedRow(null)).toMatchObject({ ok: false, rejected: { id: '' } });
  expect(parseClaimedRow({ ...good, created_ms: 'x' })).toMatchObject({ ok: false, rejected: { id: '12', error: expect.stringMatching(/created_ms/) } });
});
