import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, inject, it, vi } from 'vitest';
import { createEnvelope } from '@agentbus/schema';
import { createRedisTransport, type Transport } from '@agentbus/transport';
import { exited, outputLines, spawnTs, uniquePrefix } from '@agentbus/test-utils';
import { createReliability } from '../src/index';

const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/long-handler-worker.ts');
const children: ChildProcess[] = [];
let transport: Transport | undefined;
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await transport?.close();
});

interface Run {
  n: number;
  worker: number;
  start: number;
  /** When it ended, or when its worker was killed. */
  end: number;
  completed: boolean;
}

/** Pairs each worker's start and end lines into runs; a run its worker never ended stops at the kill. */
function runsOf(outs: string[][], killedAt: Map<number, number>): Run[] {
  const runs: Run[] = [];
  outs.forEach((out, worker) => {
    const open = new Map<number, number>();
    for (const line of out) {
      const [what, n, at] = line.split(' ');
      if (what === 'start') open.set(Number(n), Number(at));
      if (what === 'end') {
        runs.push({ n: Number(n), worker, start: open.get(Number(n))!, end: Number(at), completed: true });
        open.delete(Number(n));
      }
    }
    for (const [n, start] of open) runs.push({ n, worker, start, end: killedAt.get(worker) ?? Infinity, completed: false });
  });
  return runs;
}

/** Messages run on two workers at overlapping times. */
function concurrentDuplicates(runs: Run[]): number {
  const byMessage = new Map<number, Run[]>();
  for (const r of runs) byMessage.set(r.n, [...(byMessage.get(r.n) ?? []), r]);
  let n = 0;
  for (const list of byMessage.values()) {
    const overlap = list.some((a, i) => list.some((b, j) => i < j && a.worker !== b.worker && a.start < b.end && b.start < a.end));
    if (overlap) n++;
  }
  return n;
}

async function scenario(name: string, kill: boolean): Promise<void> {
  const url = inject('redisUrl');
  const namespace = uniquePrefix(name);
  transport = createRedisTransport({ url, namespace });
  const claimIdleMs = 300;
  const handlerMs = claimIdleMs * 5;
  const sent = 50;
  const outs: string[][] = [];
  const procs = [0, 1, 2].map((i) => {
    const child = spawnTs(worker, [url, namespace, 'llm', 'agents', `w${i}`, String(handlerMs), String(claimIdleMs)]);
    children.push(child);
    outs.push(outputLines(child));
    return child;
  });
  await vi.waitFor(() => expect(outs.every((o) => o.includes('ready'))).toBe(true), { timeout: 30_000, interval: 50 });
  await transport.publishBatch('llm', Array.from({ length: sent }, (_, n) => createEnvelope({ type: 'llm.call', from: 'test', payload: { n } })));
  const killedAt = new Map<number, number>();
  if (kill) {
    await vi.waitFor(() => expect(outs[0]!.filter((l) => l.startsWith('start')).length).toBeGreaterThanOrEqual(2), { timeout: 10_000, interval: 20 });
    await new Promise((r) => setTimeout(r, handlerMs / 2));
    procs[0]!.kill('SIGKILL');
    killedAt.set(0, performance.timeOrigin + performance.now());
    await exited(procs[0]!);
  }
  await vi.waitFor(async () => {
    const g = (await transport!.stats('llm')).groups.find((x) => x.name === 'agents');
    expect(g).toMatchObject({ pending: 0, lag: 0 });
  }, { timeout: 60_000, interval: 200 });

  const rel = createReliability(transport);
  const dead = await rel.deadLetters.depth('llm');
  await rel.close();
  const runs = runsOf(outs, killedAt);
  const completed = runs.filter((r) => r.completed);
  const handled = new Set(completed.map((r) => r.n));
  const duplicates = completed.length - handled.size;
  const concurrent = concurrentDuplicates(runs);
  const interrupted = runs.filter((r) => !r.completed);
  console.log(
    `tally (${name}): sent ${sent}, handler runs ${runs.length}, handled ${handled.size}, duplicates ${duplicates}, concurrent duplicates ${concurrent}, dead-lettered ${dead}, lost ${sent - handled.size}` +
      (kill ? `; killed mid-run ${interrupted.length}, each run again after claimIdleMs ${claimIdleMs}` : ''),
  );
  expect(sent - handled.size).toBe(0);
  expect(concurrent).toBe(0);
  expect(dead).toBe(0);
  expect(duplicates).toBe(0);
  if (!kill) expect(runs.length).toBe(sent);
  else {
    expect(interrupted.length).toBeGreaterThan(0);
    // Each interrupted message ran again, elsewhere, no sooner than claimIdleMs after the kill.
    for (const r of interrupted) {
      const again = completed.find((c) => c.n === r.n)!;
      expect(again.worker).not.toBe(0);
      expect(again.start - r.end).toBeGreaterThanOrEqual(claimIdleMs - 50);
    }
  }
}

it('3 workers, handlers running 5x claimIdleMs, 50 messages: each runs once, never on two workers at once, none dead-lettered', async () => {
  await scenario('long-handlers', false);
}, 120_000);

it('the same with one worker killed -9 mid-run: its messages run again on another after claimIdleMs, none lost', async () => {
  await scenario('long-handlers-kill', true);
}, 120_000);
