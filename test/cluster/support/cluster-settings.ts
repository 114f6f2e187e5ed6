/**
 * Settings of the cluster that the global setup starts, and the environment variables through
 * which it hands URLs and pids to the tests. Pure module: test files import it.
 */

/**
 * tok_slow delay of the suite's gateway. It exceeds the 1500 ms server timeout of the
 * replay-post-on-timeout HAProxy, so that HAProxy replays a slow POST, and stays below the
 * replicas' GATEWAY_TIMEOUT_MS, so that a slow charge still succeeds.
 */
export const CLUSTER_GATEWAY_SLOW_MS = 2000;

/** API settings of every replica the suite starts. */
export const CLUSTER_REPLICA_ENV: Readonly<Record<string, string>> = {
  LOG_LEVEL: 'info',
  // Each payment keeps a pooled connection during its gateway call, so 50 clients with slow tokens need more than 20.
  DATABASE_POOL_SIZE: '30',
  GATEWAY_CONNECT_TIMEOUT_MS: '500',
  GATEWAY_TIMEOUT_MS: '3000',
  // Must exceed GATEWAY_TIMEOUT_MS + GATEWAY_CONNECT_TIMEOUT_MS; the API rejects a shorter lease.
  IDEMPOTENCY_LEASE_MS: '4000',
  IDEMPOTENCY_WAIT_MS: '5000',
  IDEMPOTENCY_POLL_MS: '200',
  IDEMPOTENCY_RECOVERY_INTERVAL_MS: '1000',
  IDEMPOTENCY_CLEANUP_INTERVAL_MS: '0',
  // Longer than two failed HAProxy health checks one second apart (fall 2, inter 1s).
  SHUTDOWN_DRAIN_MS: '2500',
};

/** Replica ids behind the safe and the replay HAProxy. */
export const SAFE_REPLICA_IDS = ['replica-1', 'replica-2', 'replica-3'] as const;

/** Replica ids that run with IDEMPOTENCY_ENABLED=false, behind their own replay HAProxy. */
export const UNSAFE_REPLICA_IDS = ['unsafe-1', 'unsafe-2'] as const;

/**
 * Environment variables. The E2E_* ones are set by hand to run against an existing stack. The
 * CLUSTER_* ones are set by the global setup. They have names of their own because the e2e
 * project's global setup runs in the same process and sets E2E_DATABASE_URL and E2E_GATEWAY_URL.
 */
export const ENV = {
  /** Load balancer of an existing stack, such as docker-compose. */
  externalBaseUrl: 'E2E_BASE_URL',
  externalDatabaseUrl: 'E2E_DATABASE_URL',
  externalGatewayUrl: 'E2E_GATEWAY_URL',
  /** Safe load balancer. */
  baseUrl: 'CLUSTER_BASE_URL',
  databaseUrl: 'CLUSTER_DATABASE_URL',
  gatewayUrl: 'CLUSTER_GATEWAY_URL',
  /** tok_slow delay of the gateway in milliseconds; may be set by hand for an existing stack. */
  gatewaySlowMs: 'CLUSTER_GATEWAY_SLOW_MS',
  /** Control server of the global setup, which stops and starts replicas. */
  controlUrl: 'CLUSTER_CONTROL_URL',
  /** JSON array of {id, port, url, pid} for the replicas as first started. */
  replicas: 'CLUSTER_REPLICAS',
  /** HAProxy in replay-post-on-timeout mode in front of the safe replicas. */
  replayUrl: 'CLUSTER_REPLAY_URL',
  /** HAProxy in replay-post-on-timeout mode in front of the replicas without idempotency. */
  unsafeReplayUrl: 'CLUSTER_UNSAFE_REPLAY_URL',
  /** Folder with one log file per child process. */
  logDir: 'CLUSTER_LOG_DIR',
  /** Set when the suite cannot run at all, with the reason. */
  skipReason: 'CLUSTER_SKIP_REASON',
} as const;

export interface ReplicaInfo {
  id: string;
  port: number;
  url: string;
  pid: number;
  running: boolean;
}
