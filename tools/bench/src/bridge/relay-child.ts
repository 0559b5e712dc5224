import { fork, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { createRelay } from '@agentbus/bridge';

/**
 * The relay runs in a process of its own, as `agentbus-bridge relay` does in production, so it
 * does not share an event loop with the writers. It is this same bench CLI started with
 * `bridge --child-relay <json>`; it reports each relayed event's id and XADD time over IPC.
 */
export interface RelayChildConfig {
  databaseUrl: string;
  redisUrl: string;
  batchSize: number;
}

/** [eventId, publishedAt (ms since epoch, sub-ms), duplicate] */
export type RelayedTuple = [string, number, boolean];

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'relayed'; events: RelayedTuple[] }
  | { type: 'stopped'; stats: Record<string, unknown> }
  | { type: 'error'; message: string };

export const CHILD_FLAG = '--child-relay';

/** The child side: runs the relay until the parent says `stop`. */
export async function runRelayChild(json: string): Promise<void> {
  const cfg = JSON.parse(json) as RelayChildConfig;
  const send = (m: ChildMessage) => process.send?.(m);
  const pool = new pg.Pool({ connectionString: cfg.databaseUrl, max: 4, application_name: 'bench-relay' });
  pool.on('error', () => undefined);
  const { createRedisTransport } = await import('@agentbus/transport');
  const transport = createRedisTransport({ url: cfg.redisUrl, namespace: 'bench' });
  let buffer: RelayedTuple[] = [];
  const flush = () => {
    if (buffer.length === 0) return;
    send({ type: 'relayed', events: buffer });
    buffer = [];
  };
  const timer = setInterval(flush, 5);
  const relay = createRelay({
    pool,
    transport,
    batchSize: cfg.batchSize,
    hooks: {
      onRelayed: (_n, _l, batch) => {
        for (const e of batch.events) buffer.push([e.eventId, e.publishedAt, e.duplicate]);
      },
      onError: (e) => send({ type: 'error', message: e.message }),
    },
  });
  await relay.ready();
  send({ type: 'ready' });
  await new Promise<void>((resolve) => process.on('message', (m) => m === 'stop' && resolve()));
  await relay.close();
  clearInterval(timer);
  flush();
  send({ type: 'stopped', stats: { ...relay.stats() } });
  await transport.close();
  await pool.end();
}

/** The parent side: starts the child and resolves once its relay is ready. */
export async function startRelayChild(cfg: RelayChildConfig, onMessage: (m: ChildMessage) => void): Promise<ChildProcess> {
  const cli = process.argv[1];
  if (!cli) throw new Error('cannot find the bench CLI to start the relay process');
  // BENCH_RELAY_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the relay alone:
  // NODE_OPTIONS refuses --cpu-prof.
  const extra = process.env.BENCH_RELAY_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = fork(cli, ['bridge', CHILD_FLAG, JSON.stringify(cfg)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, ...extra],
  });
  child.on('message', (m) => onMessage(m as ChildMessage));
  await new Promise<void>((resolve, reject) => {
    const onReady = (m: unknown) => {
      if ((m as ChildMessage).type !== 'ready') return;
      child.off('message', onReady);
      resolve();
    };
    child.on('message', onReady);
    child.once('exit', (code) => reject(new Error(`the relay process exited (${code}) before it was ready`)));
  });
  return child;
}

/** Asks the child to stop and waits for its final stats. */
export function stopRelayChild(child: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({});
    }, 10_000);
    child.on('message', (m) => {
      const msg = m as ChildMessage;
      if (msg.type !== 'stopped') return;
      clearTimeout(timer);
      resolve(msg.stats);
    });
    child.send('stop');
  });
}
