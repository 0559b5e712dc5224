import { TestBackendUnavailableError } from '../backend-unavailable-error';
import type { Env } from './find-binary';

export type BackendKind = 'testcontainers' | 'binary' | 'external';

export const BACKEND_ENV = 'AGENTBUS_TEST_BACKEND';

/** What to start: a container, a local binary (after installing it when `install`), or a URL. */
export type BackendPlan =
  | { kind: 'testcontainers' }
  | { kind: 'binary'; install: boolean }
  | { kind: 'external'; url: string };

/** One kind of server the harness can provide. */
export interface ServiceSpec {
  /** For messages: "Redis", "PostgreSQL". */
  label: string;
  /** The env var naming an already-running server. */
  urlEnv: string;
  /** Debian packages that provide the binaries. */
  aptPackages: readonly string[];
  /** False where no testcontainers path exists (Redis Cluster). */
  containers: boolean;
}

/** Everything the decision looks at, injectable so every branch is testable on any machine. */
export interface BackendProbes {
  env: Env;
  dockerAnswers(): Promise<boolean>;
  binaryFound(): boolean;
  canAptInstall(): boolean;
}

export const REDIS_SERVICE: ServiceSpec = {
  label: 'Redis',
  urlEnv: 'REDIS_URL',
  aptPackages: ['redis-server', 'redis-tools'],
  containers: true,
};

export const POSTGRES_SERVICE: ServiceSpec = {
  label: 'PostgreSQL',
  urlEnv: 'DATABASE_URL',
  aptPackages: ['postgresql'],
  containers: true,
};

export const REDIS_CLUSTER_SERVICE: ServiceSpec = {
  label: 'a Redis Cluster',
  urlEnv: 'REDIS_CLUSTER_NODES',
  aptPackages: ['redis-server', 'redis-tools'],
  containers: false,
};

export function missingMessage(spec: ServiceSpec): string {
  const ways = [`apt-get install ${spec.aptPackages.join(' ')}`];
  if (spec.containers) ways.push('start Docker');
  return `agentbus tests need ${spec.label}: ${ways.join(', or ')}, or set ${spec.urlEnv}`;
}

function isBackendKind(value: string): value is BackendKind {
  return value === 'testcontainers' || value === 'binary' || value === 'external';
}

async function forcedPlan(spec: ServiceSpec, probes: BackendProbes, forced: BackendKind): Promise<BackendPlan> {
  const why = `${BACKEND_ENV}=${forced}`;
  switch (forced) {
    case 'testcontainers':
      if (!spec.containers) {
        throw new TestBackendUnavailableError(`${why}, but ${spec.label} has no testcontainers backend: use binary or external`);
      }
      if (!(await probes.dockerAnswers())) {
        throw new TestBackendUnavailableError(`${why}, but no Docker engine answers: start Docker or unset ${BACKEND_ENV}`);
      }
      return { kind: 'testcontainers' };
    case 'binary':
      if (probes.binaryFound()) return { kind: 'binary', install: false };
      if (probes.canAptInstall()) return { kind: 'binary', install: true };
      throw new TestBackendUnavailableError(`${why}, but ${spec.label} is not installed: apt-get install ${spec.aptPackages.join(' ')}`);
    case 'external': {
      const url = probes.env[spec.urlEnv];
      if (url) return { kind: 'external', url };
      throw new TestBackendUnavailableError(`${why}, but ${spec.urlEnv} is not set`);
    }
  }
}

/**
 * Decides where a server comes from: a Docker engine (testcontainers), else the binaries
 * on this machine, else the URL in the environment, else installing the binaries with
 * apt-get when root. Nothing left: one line saying what to install.
 */
export async function planBackend(spec: ServiceSpec, probes: BackendProbes, override?: BackendKind): Promise<BackendPlan> {
  const forced = override ?? probes.env[BACKEND_ENV];
  if (forced) {
    if (!isBackendKind(forced)) {
      throw new TestBackendUnavailableError(`${BACKEND_ENV} must be binary, testcontainers or external (got ${JSON.stringify(forced)})`);
    }
    return forcedPlan(spec, probes, forced);
  }
  if (spec.containers && (await probes.dockerAnswers())) return { kind: 'testcontainers' };
  if (probes.binaryFound()) return { kind: 'binary', install: false };
  const url = probes.env[spec.urlEnv];
  if (url) return { kind: 'external', url };
  if (probes.canAptInstall()) return { kind: 'binary', install: true };
  throw new TestBackendUnavailableError(missingMessage(spec));
}
