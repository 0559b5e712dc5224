import type { BackendKind } from './internal/backend-plan';

export type { BackendKind };

export type AppendFsync = 'always' | 'everysec' | 'no';

export type MaxmemoryPolicy =
  | 'noeviction'
  | 'allkeys-lru'
  | 'allkeys-lfu'
  | 'allkeys-random'
  | 'volatile-lru'
  | 'volatile-lfu'
  | 'volatile-random'
  | 'volatile-ttl';

/** How to run a Redis for a test. Options are applied to servers the harness starts, not to REDIS_URL. */
export interface RedisServerOptions {
  /** Turn on the append-only file, so data survives kill() + restart(). Default false. */
  appendonly?: boolean;
  /** AOF fsync policy when appendonly is on. Default 'everysec'. */
  appendfsync?: AppendFsync;
  /** e.g. '8mb' or a byte count. Default: unlimited. */
  maxmemory?: string | number;
  maxmemoryPolicy?: MaxmemoryPolicy;
  /** Passed to redis-server as they are, e.g. ['--notify-keyspace-events', 'KEA']. */
  extraArgs?: readonly string[];
  /** Skip the resolution order (and AGENTBUS_TEST_BACKEND) and use this backend. */
  backend?: BackendKind;
  /** Container image for the testcontainers backend. Default 'redis:7-alpine'. */
  image?: string;
  /** How long to wait for the first PONG. Default 15000 ms (120000 for containers, which may pull). */
  startupTimeoutMs?: number;
}

/** A running Redis owned by the test (or REDIS_URL, which the test does not own). */
export interface RedisServer {
  /** redis://host:port, for any client. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly kind: BackendKind;
  /** The redis-server process id; undefined for containers and external servers. */
  readonly pid: number | undefined;
  /** The server's working dir (AOF, nodes.conf); undefined unless kind is 'binary'. */
  readonly dataDir: string | undefined;
  /** Stops the server and removes its data. Idempotent; a no-op for external servers. */
  stop(): Promise<void>;
  /**
   * Sends `signal` (default SIGKILL: a crash, no AOF rewrite, no goodbye) and, for signals that
   * end it, waits until the server is gone. SIGSTOP/SIGCONT simulate a hung server.
   * Rejects for external servers.
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /**
   * Starts the server again on the same port and data dir (stopping it first if it runs), so
   * AOF data survives. Resolves once it answers PING. Rejects for external servers.
   */
  restart(): Promise<void>;
}

export interface PostgresServerOptions {
  /** Database created for the tests. Default 'agentbus_test'. */
  database?: string;
  /** Skip the resolution order (and AGENTBUS_TEST_BACKEND) and use this backend. */
  backend?: BackendKind;
  /** Container image for the testcontainers backend. Default 'postgres:16-alpine'. */
  image?: string;
  /** How long to wait for the server to accept connections. Default 30000 ms. */
  startupTimeoutMs?: number;
  /**
   * Server settings (`-c name=value`) for the servers this starts (binary and container backends;
   * an external DATABASE_URL server keeps its own). They override the binary backend's fast
   * defaults, fsync, synchronous_commit and full_page_writes off: e.g. a benchmark asking for
   * `{ fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on' }`, PostgreSQL's own defaults.
   */
  settings?: Readonly<Record<string, string>>;
}

export interface PostgresServer {
  /** postgres://user@host:port/database (with a password for containers). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly kind: BackendKind;
  /** The postmaster process id; undefined for containers and external servers. */
  readonly pid: number | undefined;
  /** The data directory; undefined unless kind is 'binary'. */
  readonly dataDir: string | undefined;
  /** Stops the server and removes its data. Idempotent; a no-op for external servers. */
  stop(): Promise<void>;
  /** Sends `signal` (default SIGKILL) to the postmaster. Rejects for external servers. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface RedisClusterOptions {
  /** Number of master nodes, at least 3 (what redis-cli --cluster create needs). Default 3. */
  masters?: number;
  /** Passed to every redis-server as they are. */
  extraArgs?: readonly string[];
  /** Skip the resolution order: 'binary' or 'external' (REDIS_CLUSTER_NODES). */
  backend?: Exclude<BackendKind, 'testcontainers'>;
  /** How long to wait for cluster_state:ok on every node. Default 30000 ms. */
  startupTimeoutMs?: number;
}

export interface RedisClusterNode {
  host: string;
  port: number;
}

export interface RedisCluster {
  readonly nodes: readonly RedisClusterNode[];
  /** redis://host:port per node, in the order of `nodes`. */
  readonly urls: readonly string[];
  readonly kind: Exclude<BackendKind, 'testcontainers'>;
  /** The redis-server process ids, in the order of `nodes`; empty for external clusters. */
  readonly pids: readonly number[];
  /** Stops every node and removes their data. Idempotent; a no-op for external clusters. */
  stop(): Promise<void>;
}
