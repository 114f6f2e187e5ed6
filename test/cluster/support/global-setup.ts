import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ManagedChild } from '../../../scripts/cluster/child-process';
import { startGateway } from '../../../scripts/cluster/gateway';
import { findHaproxy, HAPROXY_INSTALL_HINT, startHaproxy, waitUntilRouted } from '../../../scripts/cluster/haproxy';
import type { HaproxyMode } from '../../../scripts/cluster/haproxy-config';
import { freePort } from '../../support/free-port';
import { startTestDatabase, type TestDatabase } from '../../support/test-database';
import {
  CLUSTER_GATEWAY_SLOW_MS,
  CLUSTER_REPLICA_ENV,
  ENV,
  SAFE_REPLICA_IDS,
  UNSAFE_REPLICA_IDS,
  type ReplicaInfo,
} from './cluster-settings';
import { startControlServer, type ControlServer } from './control-server';
import { ReplicaPool } from './replica-pool';

const LOG_DIR = resolve(__dirname, '../../../.data/cluster-test-logs');

type Teardown = () => Promise<void>;

/**
 * Starts one cluster for the whole `cluster` project: a throwaway database, the mock gateway,
 * three replicas behind a safe HAProxy and a replay-post-on-timeout HAProxy, and two replicas
 * with IDEMPOTENCY_ENABLED=false behind a replay-post-on-timeout HAProxy of their own. Child
 * logs go to .data/cluster-test-logs/<name>.log.
 *
 * With E2E_BASE_URL set it starts nothing, and the tests run against that stack.
 * NOTE: run only this project then (`--selectProjects cluster`), because the e2e project's global
 * setup overwrites E2E_DATABASE_URL and E2E_GATEWAY_URL before this one runs.
 */
export default async function globalSetup(): Promise<void> {
  const externalBaseUrl = process.env[ENV.externalBaseUrl];
  if (externalBaseUrl) {
    const databaseUrl = process.env[ENV.externalDatabaseUrl];
    const gatewayUrl = process.env[ENV.externalGatewayUrl];
    if (!databaseUrl || !gatewayUrl) {
      throw new Error(
        `With ${ENV.externalBaseUrl} set, also set ${ENV.externalDatabaseUrl} and ${ENV.externalGatewayUrl} ` +
          'to the database and the mock gateway of that stack',
      );
    }
    process.env[ENV.baseUrl] = externalBaseUrl;
    process.env[ENV.databaseUrl] = databaseUrl;
    process.env[ENV.gatewayUrl] = gatewayUrl;
    return;
  }
  if (!findHaproxy()) {
    process.env[ENV.skipReason] = `haproxy was not found: ${HAPROXY_INSTALL_HINT}`;
    // Jest does not list the tests of a skipped suite, so the reason is printed here.
    console.warn(`Skipping the cluster tests: ${process.env[ENV.skipReason]}`);
    return;
  }

  rmSync(LOG_DIR, { recursive: true, force: true });
  const teardowns: Teardown[] = [];
  const teardown = async () => {
    // Reverse order: load balancers, replicas, gateway, then the database.
    for (const step of teardowns.reverse()) {
      await step();
    }
  };
  (globalThis as { clusterTeardown?: Teardown }).clusterTeardown = teardown;

  try {
    await startCluster(teardowns);
  } catch (error) {
    await teardown();
    throw error;
  }
}

async function startCluster(teardowns: Teardown[]): Promise<void> {
  const database: TestDatabase = await startTestDatabase();
  teardowns.push(() => database.stop());

  const gateway = await startGateway({
    port: await freePort(),
    slowMs: CLUSTER_GATEWAY_SLOW_MS,
    env: { PATH: process.env.PATH },
    output: { kind: 'file', path: join(LOG_DIR, 'gateway.log') },
  });
  teardowns.push(() => stopChild(gateway.child));

  const pool = new ReplicaPool({ databaseUrl: database.url, gatewayUrl: gateway.url, logDir: LOG_DIR });
  teardowns.push(() => pool.stopAll());
  const safeEnv = { PATH: process.env.PATH, ...CLUSTER_REPLICA_ENV };
  const unsafeEnv = { ...safeEnv, IDEMPOTENCY_ENABLED: 'false' };
  const started: ReplicaInfo[] = [];
  // One at a time: parallel Nest start-ups on two cores are no faster and hit the ready timeout sooner.
  for (const id of SAFE_REPLICA_IDS) {
    started.push(await pool.add(id, await freePort(), safeEnv));
  }
  for (const id of UNSAFE_REPLICA_IDS) {
    started.push(await pool.add(id, await freePort(), unsafeEnv));
  }

  const safeBackends = started.filter((replica) => (SAFE_REPLICA_IDS as readonly string[]).includes(replica.id));
  const unsafeBackends = started.filter((replica) => (UNSAFE_REPLICA_IDS as readonly string[]).includes(replica.id));
  const startProxy = async (name: string, mode: HaproxyMode, backends: ReplicaInfo[]) => {
    const proxy = await startHaproxy({
      name,
      listenPort: await freePort(),
      backends: backends.map((replica) => ({ name: replica.id, port: replica.port })),
      mode,
      output: { kind: 'file', path: join(LOG_DIR, `${name}.log`) },
    });
    teardowns.push(() => stopChild(proxy.child));
    await waitUntilRouted(
      proxy.url,
      backends.map((replica) => replica.id),
    );
    return proxy;
  };
  const safe = await startProxy('haproxy-safe', 'safe', safeBackends);
  const replay = await startProxy('haproxy-replay', 'replay-post-on-timeout', safeBackends);
  const unsafeReplay = await startProxy('haproxy-unsafe-replay', 'replay-post-on-timeout', unsafeBackends);

  const control: ControlServer = await startControlServer(pool);
  teardowns.push(() => control.close());

  process.env[ENV.baseUrl] = safe.url;
  process.env[ENV.databaseUrl] = database.url;
  process.env[ENV.gatewayUrl] = gateway.url;
  process.env[ENV.gatewaySlowMs] = String(CLUSTER_GATEWAY_SLOW_MS);
  process.env[ENV.controlUrl] = control.url;
  process.env[ENV.replicas] = JSON.stringify(started);
  process.env[ENV.replayUrl] = replay.url;
  process.env[ENV.unsafeReplayUrl] = unsafeReplay.url;
  process.env[ENV.logDir] = LOG_DIR;
}

async function stopChild(child: ManagedChild): Promise<void> {
  await child.stop('SIGTERM', 10_000);
}
