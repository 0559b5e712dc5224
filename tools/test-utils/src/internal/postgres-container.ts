import type { PostgresServer, PostgresServerOptions } from '../types';
import { DEFAULT_DATABASE, POSTGRES_USER } from './postgres-process';
import { signalContainer } from './signal-container';

/** PostgreSQL in a container; the module is imported dynamically for the same reason as Redis's. */
export async function startPostgresContainer(options: PostgresServerOptions): Promise<PostgresServer> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const database = options.database ?? DEFAULT_DATABASE;
  const container = await new PostgreSqlContainer(options.image ?? 'postgres:16-alpine')
    .withDatabase(database)
    .withUsername(POSTGRES_USER)
    .withPassword(POSTGRES_USER)
    .withStartupTimeout(options.startupTimeoutMs ?? 120_000)
    .start();
  let stopped = false;
  return {
    url: container.getConnectionUri(),
    host: container.getHost(),
    port: container.getPort(),
    database,
    user: POSTGRES_USER,
    kind: 'testcontainers',
    pid: undefined,
    dataDir: undefined,
    async stop() {
      if (stopped) return;
      stopped = true;
      await container.stop();
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      await signalContainer(container.getId(), signal);
    },
  };
}
