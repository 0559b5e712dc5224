import type { PostgresServer, PostgresServerOptions } from '../types';
import { DEFAULT_DATABASE, POSTGRES_USER } from './postgres-process';
import type { ContainerSignaller } from './redis-container';
import { signalContainer } from './signal-container';

/** What the adapter uses of a started PostgreSQL container: testcontainers' own, or a stand-in. */
export interface StartedPostgresContainer {
  getConnectionUri(): string;
  getHost(): string;
  getPort(): number;
  getId(): string;
  stop(): Promise<unknown>;
}

export interface PostgresContainerSpec {
  image: string;
  database: string;
  user: string;
  password: string;
  startupTimeoutMs: number;
  /** `-c name=value` for postgres; none: the image's own settings. */
  settings: Readonly<Record<string, string>>;
}

export type PostgresContainerStarter = (spec: PostgresContainerSpec) => Promise<StartedPostgresContainer>;

/** Imported on first use for the same reason as Redis's (see redis-container.ts). */
const startWithTestcontainers: PostgresContainerStarter = async (spec) => {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  return new PostgreSqlContainer(spec.image)
    .withDatabase(spec.database)
    .withUsername(spec.user)
    .withPassword(spec.password)
    .withCommand(['postgres', ...Object.entries(spec.settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])])
    .withStartupTimeout(spec.startupTimeoutMs)
    .start();
};

/** PostgreSQL in a container. `start` and `signal` are testcontainers' unless a test hands in stand-ins. */
export async function startPostgresContainer(
  options: PostgresServerOptions,
  start: PostgresContainerStarter = startWithTestcontainers,
  signal: ContainerSignaller = signalContainer,
): Promise<PostgresServer> {
  const database = options.database ?? DEFAULT_DATABASE;
  const container = await start({
    image: options.image ?? 'postgres:16-alpine',
    database,
    user: POSTGRES_USER,
    password: POSTGRES_USER,
    startupTimeoutMs: options.startupTimeoutMs ?? 120_000,
    settings: options.settings ?? {},
  });
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
    async kill(sig: NodeJS.Signals = 'SIGKILL') {
      await signal(container.getId(), sig);
    },
  };
}
