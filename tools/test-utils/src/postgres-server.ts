import { aptInstall, canAptInstall } from './internal/apt-install';
import { planBackend, POSTGRES_SERVICE, type BackendProbes } from './internal/backend-plan';
import { detectDocker } from './internal/docker-probe';
import { hostPort, notOwned } from './internal/external-server';
import { findPostgresBinDir } from './internal/find-binary';
import { startPostgresContainer } from './internal/postgres-container';
import { startPostgresBinary } from './internal/postgres-process';
import { TestBackendUnavailableError } from './backend-unavailable-error';
import type { PostgresServer, PostgresServerOptions } from './types';

function postgresProbes(): BackendProbes {
  return {
    env: process.env,
    dockerAnswers: detectDocker,
    binaryFound: () => findPostgresBinDir() !== undefined,
    canAptInstall: () => canAptInstall(),
  };
}

function externalPostgres(url: string): PostgresServer {
  const parsed = new URL(url);
  const { host, port } = hostPort(url, 5432);
  return {
    url,
    host,
    port,
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')),
    user: decodeURIComponent(parsed.username),
    kind: 'external',
    pid: undefined,
    dataDir: undefined,
    stop: () => Promise.resolve(),
    kill: notOwned('kill', POSTGRES_SERVICE.urlEnv),
  };
}

/**
 * Starts a real PostgreSQL with an empty `agentbus_test` database: in a container when a
 * Docker engine answers, else initdb + postgres from this machine, else DATABASE_URL, else
 * after apt-get installing postgresql (root only).
 */
export async function startPostgres(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const plan = await planBackend(POSTGRES_SERVICE, postgresProbes(), options.backend);
  switch (plan.kind) {
    case 'testcontainers':
      return startPostgresContainer(options);
    case 'external':
      return externalPostgres(plan.url);
    case 'binary': {
      if (plan.install) await aptInstall(POSTGRES_SERVICE.aptPackages);
      const binDir = findPostgresBinDir();
      if (binDir === undefined) throw new TestBackendUnavailableError('initdb and postgres not found: apt-get install postgresql');
      return startPostgresBinary(binDir, options);
    }
  }
}
