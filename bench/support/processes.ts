import { join } from 'node:path';
import { startChild, waitForHttp, type ManagedChild } from '../../scripts/cluster/child-process';
import { startGateway } from '../../scripts/cluster/gateway';
import { startHaproxy, waitUntilRouted } from '../../scripts/cluster/haproxy';
import { API_ENTRY, REPOSITORY_ROOT, requireBuilt } from '../../scripts/cluster/paths';
import { freePort } from '../../test/support/free-port';

/** Folder of the child logs of the current run, in the repository rather than in the copy of the build it runs. */
export const LOG_DIRECTORY = join(process.env.PAYMENTS_BENCH_ROOT || REPOSITORY_ROOT, '.data/bench/logs');

/** Compiled entry point of the Redis variant, next to API_ENTRY in the same build. */
export const REDIS_VARIANT_ENTRY = join(REPOSITORY_ROOT, 'dist/bench/variants/redis-idempotency.main.js');

/** Preload that lets a replica started with --cpu-prof write its profile on SIGTERM. */
export const PROFILE_EXIT_PRELOAD = join(REPOSITORY_ROOT, 'dist/bench/variants/exit-after-shutdown.js');

export { API_ENTRY };

/** Replica settings shared by every variant; the variants add their own. */
export const REPLICA_BASE_ENV: Record<string, string> = {
  LOG_LEVEL: 'warn',
  SHUTDOWN_DRAIN_MS: '0',
  DATABASE_POOL_SIZE: '20',
};

const running = new Set<ManagedChild>();

function track(child: ManagedChild): ManagedChild {
  running.add(child);
  void child.exited.then(() => running.delete(child));
  return child;
}

/** Kills every child this run started that still runs, for an interrupted run. */
export function killRunningChildren(): void {
  for (const child of running) {
    child.signal('SIGKILL');
  }
}

export interface Service {
  name: string;
  url: string;
  child: ManagedChild;
}

export interface ReplicaSpec {
  name: string;
  entry: string;
  databaseUrl: string;
  gatewayUrl: string;
  env?: Record<string, string>;
  nodeArgs?: string[];
}

/**
 * Starts one replica on a free port of 127.0.0.1 and waits until /health/ready returns
 * 200. Of the calling shell's environment only PATH is passed on, so that a DATABASE_URL
 * or LOG_LEVEL set there does not change a benchmark.
 */
export async function startReplica(spec: ReplicaSpec): Promise<Service> {
  requireBuilt(spec.entry);
  const port = await freePort();
  const child = track(
    startChild({
      name: spec.name,
      command: process.execPath,
      args: [...(spec.nodeArgs ?? []), spec.entry],
      env: {
        PATH: process.env.PATH,
        ...REPLICA_BASE_ENV,
        ...spec.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        REPLICA_ID: spec.name,
        DATABASE_URL: spec.databaseUrl,
        GATEWAY_URL: spec.gatewayUrl,
      },
      output: { kind: 'file', path: join(LOG_DIRECTORY, `${spec.name}.log`) },
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/health/ready`, { child, timeoutMs: 120_000 });
  } catch (error) {
    await child.stop('SIGKILL');
    throw error;
  }
  return { name: spec.name, url, child };
}

/** Starts the mock gateway on a free port; tok_visa charges succeed at once. */
export async function startMockGateway(name: string): Promise<Service> {
  const port = await freePort();
  const gateway = await startGateway({
    port,
    slowMs: 3000,
    env: { PATH: process.env.PATH },
    output: { kind: 'file', path: join(LOG_DIRECTORY, `${name}.log`) },
  });
  return { name, url: gateway.url, child: track(gateway.child) };
}

/** Starts HAProxy (round robin, the cluster's safe mode) on a free port in front of `replicas`. */
export async function startLoadBalancer(name: string, replicas: readonly Service[]): Promise<Service> {
  const listenPort = await freePort();
  const backends = replicas.map((replica) => ({ name: replica.name, port: Number(new URL(replica.url).port) }));
  const haproxy = await startHaproxy({
    name,
    listenPort,
    backends,
    mode: 'safe',
    output: { kind: 'file', path: join(LOG_DIRECTORY, `${name}.log`) },
  });
  track(haproxy.child);
  await waitUntilRouted(
    haproxy.url,
    replicas.map((replica) => replica.name),
  );
  return { name, url: haproxy.url, child: haproxy.child };
}

/** Stops services in parallel: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopAll(services: readonly (Service | undefined)[], graceMs = 15_000): Promise<void> {
  await Promise.all(
    services.map(async (service) => {
      if (service) {
        await service.child.stop('SIGTERM', graceMs).catch(() => undefined);
      }
    }),
  );
}
