import type { ExitStatus } from '../../../scripts/cluster/child-process';
import { waitUntilRouted } from '../../../scripts/cluster/haproxy';
import { ENV, SAFE_REPLICA_IDS, type ReplicaInfo } from './cluster-settings';

// Default tok_slow delay of the mock gateway (GATEWAY_SLOW_MS), for an existing stack.
const DEFAULT_GATEWAY_SLOW_MS = 3000;

/** Client of the global setup's control server. */
export class ClusterControl {
  constructor(private readonly url: string) {}

  replicas(): Promise<ReplicaInfo[]> {
    return this.call<ReplicaInfo[]>('GET', '/replicas');
  }

  /** Sends `signal` to the replica and resolves once it has exited. */
  stopReplica(id: string, signal: NodeJS.Signals): Promise<ExitStatus> {
    return this.call<ExitStatus>('POST', `/replicas/${id}/stop?signal=${signal}`);
  }

  /** Starts a stopped replica on its old port and resolves once it is ready. */
  startReplica(id: string): Promise<ReplicaInfo> {
    return this.call<ReplicaInfo>('POST', `/replicas/${id}/start`);
  }

  private async call<T>(method: string, path: string): Promise<T> {
    const response = await fetch(`${this.url}${path}`, { method, signal: AbortSignal.timeout(90_000) });
    const body = (await response.json()) as T | { error: string };
    if (response.status !== 200) {
      throw new Error(`Cluster control ${method} ${path} failed: ${(body as { error: string }).error}`);
    }
    return body as T;
  }
}

/** What the tests run against: the cluster of the global setup, or an existing stack. */
export interface ClusterTarget {
  /** Safe load balancer. */
  baseUrl: string;
  gatewaySlowMs: number;
  /** Present only when the global setup owns the processes. */
  control?: ClusterControl;
  replayUrl?: string;
  unsafeReplayUrl?: string;
  logDir?: string;
  /** Set when neither a cluster nor an existing stack is available. */
  skipReason?: string;
}

/**
 * Reads the target from the environment that the global setup prepared. Also points
 * test/support/fixtures.ts, which reads E2E_DATABASE_URL and E2E_GATEWAY_URL, at the target's
 * database and gateway. Jest gives each test file its own copy of process.env, so this does not
 * reach the e2e project's test files.
 */
export function clusterTarget(): ClusterTarget {
  const skipReason = process.env[ENV.skipReason];
  const baseUrl = process.env[ENV.baseUrl];
  if (skipReason || !baseUrl) {
    return { baseUrl: '', gatewaySlowMs: 0, skipReason: skipReason ?? `${ENV.baseUrl} is not set` };
  }
  process.env[ENV.externalDatabaseUrl] = process.env[ENV.databaseUrl];
  process.env[ENV.externalGatewayUrl] = process.env[ENV.gatewayUrl];

  const controlUrl = process.env[ENV.controlUrl];
  return {
    baseUrl,
    gatewaySlowMs: Number(process.env[ENV.gatewaySlowMs] || DEFAULT_GATEWAY_SLOW_MS),
    control: controlUrl ? new ClusterControl(controlUrl) : undefined,
    replayUrl: process.env[ENV.replayUrl],
    unsafeReplayUrl: process.env[ENV.unsafeReplayUrl],
    logDir: process.env[ENV.logDir],
  };
}

/** Waits until the safe load balancer routes to all three replicas again. */
export function waitForAllReplicas(target: ClusterTarget): Promise<void> {
  return waitUntilRouted(target.baseUrl, SAFE_REPLICA_IDS, 30_000);
}
