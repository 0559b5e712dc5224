import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { createEnvelope, generateSigningKeyPair } from '@agentbus/schema';
import { createSwarm } from '@agentbus/swarm';
import { uniquePrefix } from '@agentbus/test-utils';
import { CLI_COMMANDS, runCli } from '../src/cli/run-cli';
import { hashToken } from '../src/index';
import { captureIo, closeAll, makeDeadLetters, redisTransport, startBroker, token } from './helpers';

afterEach(closeAll);

function directEnv(namespace: string): NodeJS.ProcessEnv {
  return { REDIS_URL: inject('redisUrl'), REDIS_NAMESPACE: namespace };
}

async function cli(env: NodeJS.ProcessEnv, ...argv: string[]) {
  const c = captureIo(env);
  const code = await runCli(argv, c.io);
  return { code, out: c.out(), err: c.err() };
}

describe('agentbus CLI in process', () => {
  it('answers --help for every command, and usage errors with exit 2 and one line', async () => {
    const top = await cli({}, '--help');
    expect(top.code).toBe(0);
    for (const c of CLI_COMMANDS) {
      expect(top.out).toContain(`  ${c.name}`);
      const h = await cli({}, c.name, '--help');
      expect(h.code, c.name).toBe(0);
      expect(h.out, c.name).toContain(`usage: agentbus ${c.name}`);
    }
    expect(await cli({})).toMatchObject({ code: 2, err: 'agentbus: no command given; see agentbus --help\n' });
    expect((await cli({}, 'nope')).code).toBe(2);
    const badFlag = await cli({}, 'send', '--nope');
    expect(badFlag.code).toBe(2);
    expect(badFlag.err.trim().split('\n')).toHaveLength(1);
    expect(badFlag.err).toMatch(/^agentbus send: Unknown option '--nope'.*see agentbus send --help/);
    expect((await cli({}, 'send', 'orders')).err).toMatch(/--type is required/);
    expect((await cli({}, 'send', 'orders', '--type', 't', '--payload', '{bad')).err).toMatch(/--payload is not JSON/);
    expect((await cli({}, 'send', 'orders', '--type', 't', '--priority', 'asap')).code).toBe(2);
    expect((await cli({}, 'send', 'orders', '--type', 't', '--act', 'shout')).code).toBe(2);
    expect((await cli({}, 'tail', 'x', '--broker', 'http://127.0.0.1:1')).err).toMatch(/tail talks to Redis directly/);
    expect((await cli({}, 'consume', 'x', '--broker', 'http://127.0.0.1:1', '--group', 'g')).code).toBe(2);
    expect((await cli({}, 'consume', 'x')).err).toMatch(/--group is required/);
    expect((await cli({}, 'tail', '--channel', 'a', '--pattern', 'b')).code).toBe(2);
    expect((await cli({}, 'tail', 'x', '--from', 'yesterday')).code).toBe(2);
    expect((await cli({}, 'trim', 'x', '--max-age', 'soon')).err).toMatch(/--max-age must be a duration/);
    expect((await cli({}, 'trim', 'x', '--max-len', 'lots')).err).toMatch(/--max-len must be a whole number/);
    expect((await cli({}, 'dlq', 'rm', 'x')).err).toMatch(/unknown dlq subcommand "rm"/);
    expect((await cli({}, 'dlq', 'replay', 'x')).err).toMatch(/exactly one of --id/);
    expect((await cli({}, 'dlq', 'purge', 'x')).err).toMatch(/--id ID \(repeatable\) or --all/);
    expect((await cli({}, 'tasks', 'rm')).code).toBe(2);
    expect((await cli({}, 'tasks', 'ls', '--status', 'sleeping')).code).toBe(2);
    expect((await cli({}, 'health', '--broker', 'ftp://x')).err).toMatch(/not an http\(s\) URL/);
    expect((await cli({}, 'health', '--timeout', 'soon')).code).toBe(2);
    expect((await cli({}, 'token', 'mint')).code).toBe(2);
    expect((await cli({}, 'token', 'new', '--agent', 'a')).err).toMatch(/--swarm is required/);
  });

  it('fails with exit 1 and one line when Redis does not answer', async () => {
    const r = await cli({ REDIS_URL: 'redis://127.0.0.1:1' }, 'smoke', '--timeout', '300');
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^agentbus smoke: (CONNECTION_FAILED|TIMEOUT): .*127\.0\.0\.1:1/);
  });

  it('smoke, send, tail, consume, health against Redis', async () => {
    const ns = uniquePrefix('cli');
    const env = directEnv(ns);
    const smoke = await cli(env, 'smoke');
    expect(smoke.code).toBe(0);
    expect(smoke.out).toMatch(/^OK\s+ping\s+Redis at/m);
    expect(smoke.out).toMatch(/streams .*published, consumed by a group and acked/);
    expect(smoke.out).toMatch(/pubsub .*published and received/);
    expect(smoke.out).toContain('smoke test passed');
    const smokeJson = JSON.parse((await cli(env, 'smoke', '--json')).out) as { ok: boolean; checks: Array<{ name: string }> };
    expect(smokeJson.ok).toBe(true);
    expect(smokeJson.checks.map((c) => c.name)).toEqual(['ping', 'version', 'role', 'memory', 'durability', 'streams', 'pubsub']);

    const sent = await cli(env, 'send', 'orders', '--type', 'order', '--payload', '{"id":1}', '--from', 'shop', '--priority', 'high', '--act', 'request', '--ttl', '60000', '--correlation-id', 'c1', '--to', 'billing');
    expect(sent.code).toBe(0);
    expect(sent.out).toMatch(/^published [0-9a-f-]{36} to orders as \d+-\d+\n$/);
    const dir = mkdtempSync(path.join(tmpdir(), 'agentbus-cli-'));
    writeFileSync(path.join(dir, 'payload.json'), '"from a file"');
    const keyFile = path.join(dir, 'key.pem');
    writeFileSync(keyFile, generateSigningKeyPair().privateKey);
    const second = JSON.parse((await cli({ ...env, AGENTBUS_AGENT: 'env-agent' }, 'send', 'orders', '--type', 'note', '--payload-file', path.join(dir, 'payload.json'), '--sign-key', keyFile, '--json')).out) as { id: string };
    expect(second.id).toBeTruthy();
    expect((await cli(env, 'send', 'pings', '--type', 'ping', '--pubsub')).out).toMatch(/to channel pings \(0 subscribers\)/);

    const tail = await cli(env, 'tail', 'orders', '--from', '0', '--count', '2');
    expect(tail.code).toBe(0);
    const lines = tail.out.trim().split('\n');
    expect(lines).toHaveLength(2);
    // The high lane is read along with the normal one; order across lanes is by lane.
    expect(tail.out).toMatch(/high\s+shop -> billing {2}order\/request {2}\{"id":1\}/);
    expect(tail.out).toMatch(/env-agent -> broadcast {2}note\/inform {2}"from a file"/);
    expect(tail.err).toMatch(/following topic orders \(1 partition x 4 lanes, from 0\)/);
    const tailJson = (await cli(env, 'tail', 'orders', '--from', '0', '--count', '1', '--json')).out;
    expect(JSON.parse(tailJson)).toMatchObject({ stream: 'orders', streamId: expect.any(String) });

    // `$` waits for new messages only.
    const transport = redisTransport(ns);
    const newOnly = cli(env, 'tail', 'orders', '--count', '1', '--json');
    await new Promise((r) => setTimeout(r, 300));
    await transport.publish('orders', createEnvelope({ type: 'late', from: 'x', payload: 3 }));
    expect(JSON.parse((await newOnly).out)).toMatchObject({ type: 'late' });
    await transport.publish('parts', createEnvelope({ type: 'p', from: 'x', payload: 0 }), {});
    expect((await cli(env, 'tail', 'parts', '--from', '0', '--count', '1', '--partitions', '1')).out).toContain('p/inform');

    const consumed = await cli(env, 'consume', 'orders', '--group', 'billing', '--consumer', 'c1', '--count', '3');
    expect(consumed.code).toBe(0);
    expect(consumed.out.trim().split('\n')).toHaveLength(3);
    expect(consumed.out).toContain('(attempt 1, acked)');
    expect(consumed.err).toMatch(/handled and acked 3 messages/);
    const stats = await transport.stats('orders');
    expect(stats.groups[0]).toMatchObject({ name: 'billing', pending: 0, lag: 0 });

    const health = await cli(env, 'health', '--topic', 'orders', '--max-lag', '0');
    expect(health.code).toBe(0);
    expect(health.out).toMatch(/^ok\s+redis \d+\.\d+/);
    expect(health.out).toMatch(/orders\s+3\s+0\s+0\s+billing\s+0\s+0\s+1/);
    await transport.publish('orders', createEnvelope({ type: 'more', from: 'x', payload: 4 }));
    const lagging = await cli(env, 'health', '--topic', 'orders', '--max-lag', '0', '--json');
    expect(lagging.code).toBe(1);
    expect(lagging.err).toBe('agentbus health: unhealthy: topic orders group billing lags 1 entries (> --max-lag 0)\n');
    expect(JSON.parse(lagging.out)).toMatchObject({ ok: false, topics: [{ topic: 'orders', length: 4 }] });
    expect((await cli(env, 'health', '--topic', 'empty')).out).toContain('(no groups)');
  });

  it('follows a Pub/Sub channel until stopped', async () => {
    const ns = uniquePrefix('cli-ps');
    const transport = redisTransport(ns);
    const controller = new AbortController();
    const c = captureIo(directEnv(ns), { signal: controller.signal });
    const running = runCli(['tail', '--channel', 'chat'], c.io);
    await vi.waitFor(() => expect(c.err()).toContain('following channel chat'), { timeout: 5_000 });
    await transport.pubsub.publish('chat', createEnvelope({ type: 'msg', from: 'ann', payload: 'hi' }));
    await vi.waitFor(() => expect(c.out()).toContain('ann -> broadcast  msg/inform  "hi"'));
    controller.abort();
    expect(await running).toBe(0);
    const p = captureIo(directEnv(ns));
    const pattern = runCli(['tail', '--pattern', 'chat.*', '--count', '1', '--json'], p.io);
    await vi.waitFor(() => expect(p.err()).toContain('following pattern chat.*'), { timeout: 5_000 });
    await transport.pubsub.publish('chat.room', createEnvelope({ type: 'msg', from: 'bo', payload: 'yo' }));
    expect(await pattern).toBe(0);
    expect(JSON.parse(p.out())).toMatchObject({ channel: 'chat.room', from: 'bo' });
  });

  it('dlq ls, show, replay (with a progress bar on a terminal), purge; trim', async () => {
    const ns = uniquePrefix('cli-dlq');
    const env = directEnv(ns);
    const transport = redisTransport(ns);
    await makeDeadLetters(transport, 'jobs', 5);
    const ls = await cli(env, 'dlq', 'ls', 'jobs', '--count', '2');
    expect(ls.out).toMatch(/^5 dead letters in jobs \(showing 2\)\n/);
    expect(ls.out).toMatch(/handler-error\s+\d+\s+job from test\s+bad job/);
    const items = (JSON.parse((await cli(env, 'dlq', 'ls', 'jobs', '--json')).out) as { items: Array<{ id: string }> }).items;
    expect(items).toHaveLength(5);
    const show = await cli(env, 'dlq', 'show', 'jobs', items[0]!.id);
    expect(show.out).toMatch(/reason +handler-error: bad job/);
    expect(show.out).toContain('"type": "job"');
    expect(JSON.parse((await cli(env, 'dlq', 'show', 'jobs', items[0]!.id, '--json')).out)).toMatchObject({ id: items[0]!.id });
    expect((await cli(env, 'dlq', 'show', 'jobs', '1-1')).err).toMatch(/no dead letter 1-1 in jobs/);

    expect((await cli(env, 'dlq', 'replay', 'jobs', '--id', items[0]!.id, '--destination', 'jobs-v2')).out).toBe('replayed 1 dead letter of jobs to jobs-v2\n');
    const tty = captureIo(env, { tty: true });
    expect(await runCli(['dlq', 'replay', 'jobs', '--from', items[1]!.id, '--to', items[2]!.id], tty.io)).toBe(0);
    expect(tty.out()).toBe('replayed 2 dead letters of jobs\n');
    expect(tty.err()).toMatch(/\rreplaying jobs \[#+\] 100% 2\/2\n$/);
    expect((await cli(env, 'dlq', 'purge', 'jobs', '--id', items[3]!.id)).out).toBe('purged 1 dead letter of jobs\n');
    expect(JSON.parse((await cli(env, 'dlq', 'replay', 'jobs', '--all', '--json')).out)).toEqual({ replayed: 1, skipped: [] });
    expect((await cli(env, 'dlq', 'purge', 'jobs', '--all')).out).toBe('purged 0 dead letters of jobs\n');

    // 5 originals, acked by the dead-lettering group; the 3 replayed went to that group's inbox,
    // not the lanes: a hard cap of 1 drops 4 lane entries, none unacked.
    const trim = captureIo(env, { tty: true });
    expect(await runCli(['trim', 'jobs', '--hard-max-len', '1'], trim.io)).toBe(0);
    expect(trim.out()).toBe('trimmed 4 entries from jobs\n');
    expect(trim.err()).toMatch(/trimming jobs \[#+\] 100% 1\/1\n$/);
    expect(JSON.parse((await cli(env, 'trim', 'jobs', '--max-age', '24h', '--max-len', '10', '--json')).out)).toEqual({ trimmed: 0, droppedUnacked: 0 });
    expect((await cli(env, 'trim', 'jobs')).out).toBe('trimmed 0 entries from jobs\n');
  });

  it('tasks ls and claim (atomic), remediate with and without --apply, token new/hash', async () => {
    const ns = uniquePrefix('cli-swarm');
    const env = directEnv(ns);
    const transport = redisTransport(ns);
    const swarm = createSwarm(transport);
    await swarm.createTask({ id: 't1', description: 'first   task', type: 'research' });
    await swarm.createTask({ id: 't2', description: 'second', type: 'review' });
    expect((await cli(env, 'tasks', 'ls')).out).toMatch(/^id\s+status\s+type\s+assignee\s+updated\s+description\nt1\s+pending\s+research\s+-\s+\S+\s+first task\nt2/);
    expect((await cli(env, 'tasks', 'claim', 't1')).err).toMatch(/--agent is required/);
    expect((await cli(env, 'tasks', 'claim', 't1', '--agent', 'w1')).out).toBe('claimed t1 (research) as w1: first   task\n');
    const taken = await cli(env, 'tasks', 'claim', 't1', '--agent', 'w2');
    expect(taken.code).toBe(1);
    expect(taken.err).toMatch(/^agentbus tasks: CONFLICT: cannot claim task t1/);
    expect(JSON.parse((await cli({ ...env, AGENTBUS_AGENT: 'w3' }, 'tasks', 'claim', '--next', '--type', 'review', '--json')).out)).toMatchObject({ id: 't2', assignee: 'w3' });
    expect((await cli(env, 'tasks', 'claim', '--next', '--agent', 'w4')).err).toMatch(/no pending unassigned task to claim/);
    const ls = JSON.parse((await cli(env, 'tasks', 'ls', '--status', 'in_progress', '--type', 'research', '--scan', '--limit', '5', '--json')).out) as { items: Array<{ id: string }> };
    expect(ls.items.map((t) => t.id)).toEqual(['t1']);
    expect((await cli(env, 'tasks', 'ls', '--status', 'failed')).out).toBe('no tasks\n');

    await transport.redis!.set(`${ns}:task:broken`, 'not a hash');
    await transport.redis!.set(`${ns}:finding:forever`, JSON.stringify({ id: 'forever', claim: 'c', confidence: 0.5, citations: [], speech_act: 'inform', worker_id: 'w', timestamp: new Date().toISOString() }));
    const report = await cli(env, 'remediate');
    expect(report.out).toMatch(/1 of the wrong type, 1 without a TTL \(report only: --apply fixes them\)/);
    expect(report.out).toMatch(/task:broken\s+wrong_type\s+hash\s+string/);
    const applied = await cli(env, 'remediate', '--apply', '--scan-type', 'cli');
    expect(applied.out).toMatch(/\(fixed\)/);
    expect(applied.out).toMatch(/quarantine \S+task:broken -> \S+task:broken:quarantine:\d+: done/);
    expect(applied.out).toMatch(/expire \S+finding:forever \(86400 s\): done/);
    expect(JSON.parse((await cli(env, 'remediate', '--json')).out)).toMatchObject({ wrong_type_found: 0, missing_ttl_found: 0 });

    const made = JSON.parse((await cli({}, 'token', 'new', '--agent', 'a1', '--swarm', 's1', '--topic', 'tasks.*', '--channel', 'chat', '--admin', '--label', 'a1-key', '--json')).out) as { token: string; entry: { sha256: string } };
    expect(made.entry).toEqual({ label: 'a1-key', sha256: hashToken(made.token), agent: 'a1', swarms: ['s1'], topics: ['tasks.*'], channels: ['chat'], admin: true });
    expect((await cli({}, 'token', 'new', '--agent', 'a1', '--swarm', 's1')).out).toMatch(/^token \(shown once; give it to a1, e.g. as AGENTBUS_TOKEN\): ab_/);
    expect((await cli({}, 'token', 'hash', 'abc')).out).toBe(`${hashToken('abc')}\n`);
    expect(JSON.parse((await cli({}, 'token', 'hash', 'abc', '--json')).out)).toEqual({ sha256: hashToken('abc') });
    expect((await cli({}, 'token', 'new', '--agent', 'a b', '--swarm', 's')).code).toBe(2);
  });

  it('goes through a broker with --broker and a token', async () => {
    const ops = token('ops', ['lab'], { admin: true });
    const worker = token('w1', ['lab'], { topics: ['jobs'] });
    const { broker, transport } = startBroker({ auth: { tokens: [ops.config, worker.config] } });
    const url = await broker.listen(0);
    const env = { AGENTBUS_BROKER_URL: url, AGENTBUS_TOKEN: ops.secret };
    expect((await cli(env, 'smoke')).out).toMatch(/OK\s+backend\s+redis answers/);
    expect((await cli(env, 'send', 'outbox', '--type', 'job', '--payload', '1')).out).toMatch(/^published \S+ to outbox as \d+-\d+\n$/);
    expect((await cli(env, 'send', 'outbox', '--type', 'job', '--pubsub')).out).toMatch(/to channel outbox \(0 subscribers\)/);
    const keys = generateSigningKeyPair();
    const dir = mkdtempSync(path.join(tmpdir(), 'agentbus-cli-'));
    writeFileSync(path.join(dir, 'k.pem'), keys.privateKey);
    expect((await cli(env, 'send', 'outbox', '--type', 'job', '--sign-key', path.join(dir, 'k.pem'))).err).toMatch(/--from is required to sign/);
    expect((await cli(env, 'send', 'outbox', '--type', 'job', '--from', 'ops', '--sign-key', path.join(dir, 'k.pem'))).code).toBe(0);
    const spoof = await cli(env, 'send', 'outbox', '--type', 'job', '--from', 'w1');
    expect(spoof.code).toBe(1);
    expect(spoof.err).toMatch(/^agentbus send: HTTP 403 FORBIDDEN: token .* acts as agent ops only/);

    await makeDeadLetters(transport, 'jobs', 3);
    const ls = JSON.parse((await cli(env, 'dlq', 'ls', 'jobs', '--json')).out) as { depth: number; items: Array<{ id: string }> };
    expect(ls.depth).toBe(3);
    expect((await cli(env, 'dlq', 'show', 'jobs', ls.items[0]!.id)).out).toMatch(/reason +handler-error/);
    expect((await cli({ ...env, AGENTBUS_TOKEN: worker.secret }, 'dlq', 'replay', 'jobs', '--all')).err).toMatch(/HTTP 403 FORBIDDEN: replaying dead letters needs an admin token/);
    expect((await cli(env, 'dlq', 'replay', 'jobs', '--id', ls.items[0]!.id)).out).toBe('replayed 1 dead letter of jobs\n');
    expect((await cli(env, 'dlq', 'replay', 'jobs', '--count', '1')).out).toBe('replayed 1 dead letter of jobs\n');
    expect((await cli(env, 'dlq', 'replay', 'jobs', '--all')).out).toBe('replayed 1 dead letter of jobs\n');
    expect((await cli(env, 'dlq', 'purge', 'jobs', '--all')).out).toBe('purged 0 dead letters of jobs\n');
    expect((await cli(env, 'trim', 'jobs', '--max-len', '1000')).out).toBe('trimmed 0 entries from jobs\n');
    const health = await cli(env, 'health', '--topic', 'jobs', '--max-dlq', '0');
    expect(health.code).toBe(0);
    expect(health.out).toMatch(/breaker closed/);
    expect(JSON.parse((await cli(env, 'health', '--json')).out)).toMatchObject({ ok: true });

    await broker.swarm.createTask({ id: 'bt1', description: 'via broker', type: 'r', data: { swarm: 'lab' } });
    expect((await cli(env, 'tasks', 'ls', '--swarm', 'lab')).out).toMatch(/bt1\s+pending/);
    expect((await cli({ ...env, AGENTBUS_TOKEN: worker.secret }, 'tasks', 'claim', '--next', '--type', 'r')).out).toBe('claimed bt1 (r) as w1: via broker\n');
    expect((await cli(env, 'tasks', 'claim', 'bt1')).err).toMatch(/HTTP 409 CONFLICT/);
    expect((await cli(env, 'remediate')).out).toMatch(/^scanned \d+ keys: 0 of the wrong type, 0 without a TTL\n$/);
    const down = await cli({ AGENTBUS_BROKER_URL: 'http://127.0.0.1:1' }, 'smoke', '--timeout', '1000');
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/^agentbus smoke: cannot reach the broker at http:\/\/127\.0\.0\.1:1/);
  });
});
