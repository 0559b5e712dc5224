#!/usr/bin/env node
/**
 * `npm run bench -- <name> [options]`: runs one benchmark. Each bench is its own module
 * (src/<name>.ts) exporting `description` and `run(argv)`; add it to BENCHES below. A bench
 * reports targets it misses but never exits non-zero for them: only a usage error or a crash does.
 */
import { UsageError } from './args';
import { runCleanups } from './lifecycle';

export interface Bench {
  /** One line for the usage text. */
  description: string;
  /** Runs the bench with the arguments after its name. */
  run(argv: readonly string[]): Promise<void>;
}

/** Loaded on demand, so one bench's dependencies are not loaded for another. */
export const BENCHES: Record<string, { description: string; load: () => Promise<Bench> }> = {
  streams: {
    description: 'Redis Streams: @agentbus/transport vs raw ioredis vs BullMQ (throughput, latency)',
    load: () => import('./streams'),
  },
  bridge: { description: 'PostgreSQL outbox -> Redis relay (@agentbus/bridge): rows/s reaching the stream, commit -> stream latency', load: () => import('./bridge') },
  chat: { description: 'chat hub fan-out: @agentbus/chat-hub vs Socket.IO + redis adapter (N WebSocket clients, p50/p99, delivered/s)', load: () => import('./chat') },
};

export function usageLine(): string {
  return `usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> [options]   (--help for details)`;
}

export function usage(): string {
  const width = Math.max(...Object.keys(BENCHES).map((n) => n.length));
  const lines = Object.entries(BENCHES).map(([n, b]) => `  ${n.padEnd(width)}  ${b.description}`);
  return [
    'usage: npm run bench -- <name> [options]',
    '       node tools/bench/dist/cli.js <name> [options]',
    '',
    'benches:',
    ...lines,
    '',
    '`npm run bench -- <name> --help` lists the options of one bench.',
  ].join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  const entry = name === undefined ? undefined : BENCHES[name];
  if (!entry) {
    if (name !== undefined) console.error(`bench: unknown bench ${JSON.stringify(name)}`);
    console.error(usageLine());
    return 1;
  }
  try {
    const bench = await entry.load();
    await bench.run(rest);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`bench ${name}: ${e.message}`);
      console.error(`usage: npm run bench -- ${name} [options]   (npm run bench -- ${name} --help)`);
      return 1;
    }
    console.error(`bench ${name} failed:`, e);
    return 1;
  } finally {
    await runCleanups();
  }
}

const code = await main(process.argv.slice(2));
// Exit explicitly: a client library may keep a timer or socket alive after close.
process.exit(code);
