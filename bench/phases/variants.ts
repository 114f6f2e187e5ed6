import type { Pool } from 'pg';
import type { BenchScale } from '../settings';
import { cpuBetween, pidsNamed, postgresPids, sampleCpu, type ComponentPids } from '../support/cpu-meter';
import { createLoad, expectReplay, replayLoad, type LoadResult } from '../support/load';
import { readActivity, startActivity, type DatabaseActivity } from '../support/pg-stats';
import { createMerchant, type BenchPostgres, type Merchant } from '../support/postgres';
import {
  API_ENTRY,
  REDIS_VARIANT_ENTRY,
  startLoadBalancer,
  startMockGateway,
  startReplica,
  stopAll,
  type Service,
} from '../support/processes';
import { REDIS_URL } from '../support/redis';
import { runStorm, type StormResult } from '../support/storm';

export type VariantName = 'none' | 'project' | 'redis';
export type Topology = 'single' | 'cluster';

export interface VariantSpec {
  name: VariantName;
  description: string;
  entry: string;
  env: Record<string, string>;
  /** Whether repeats of a completed key are replayed, so a replay figure exists. */
  replays: boolean;
  /** Whether the variant also runs behind the load balancer. */
  cluster: boolean;
}

/** Prefix of the Redis variant's keys in this run, so that they can be deleted afterwards. */
export const redisPrefix = (runId: string) => `payments-bench:${runId}`;

export function variantSpecs(runId: string): VariantSpec[] {
  return [
    {
      name: 'none',
      description: 'the service with IDEMPOTENCY_ENABLED=false',
      entry: API_ENTRY,
      env: { IDEMPOTENCY_ENABLED: 'false' },
      replays: false,
      cluster: true,
    },
    { name: 'project', description: 'the service as it is (dist/src/main.js)', entry: API_ENTRY, env: {}, replays: true, cluster: true },
    {
      name: 'redis',
      description: '@node-idempotency/core with its Redis storage adapter, as a global interceptor',
      entry: REDIS_VARIANT_ENTRY,
      // A TTL of one hour instead of a day, so keys left by an interrupted run leave the shared Redis soon.
      env: { IDEMPOTENCY_ENABLED: 'false', IDEMPOTENCY_TTL: '3600', BENCH_REDIS_URL: REDIS_URL, BENCH_REDIS_PREFIX: redisPrefix(runId) },
      replays: true,
      cluster: true,
    },
  ];
}

export interface RoundResult {
  create: LoadResult;
  replay?: LoadResult;
  /** CPU milliseconds per created payment, by component. */
  cpuPerCreateMs: Record<string, number>;
  cpuPerReplayMs?: Record<string, number>;
}

export interface VariantResult {
  variant: VariantName;
  topology: Topology;
  storm: StormResult;
  rounds: RoundResult[];
  /** Statements, WAL flushes and commits of the first round's create run. */
  activity?: DatabaseActivity;
}

interface Deployment {
  spec: VariantSpec;
  database: string;
  pool: Pool;
  merchant: Merchant;
  gateway: Service;
  replicas: Service[];
  loadBalancer?: Service;
}

/**
 * Compares the variants on one replica, then on three replicas behind HAProxy. Every
 * variant has its own database and mock gateway, and the variants take turns within each
 * round (in reverse order every other round), so that a slow spell of the shared machine
 * does not fall on one variant only.
 */
export async function runVariantComparison(
  pg: BenchPostgres,
  specs: VariantSpec[],
  scale: BenchScale,
  log: (message: string) => void,
): Promise<VariantResult[]> {
  const deployments: Deployment[] = [];
  const results: VariantResult[] = [];
  try {
    log(`Starting one replica of each variant: ${specs.map((spec) => spec.name).join(', ')}`);
    for (const spec of specs) {
      const database = `bench_${spec.name}`;
      const pool = await pg.createServiceDatabase(database);
      const merchant = await createMerchant(pool, `Load ${spec.name}`);
      const gateway = await startMockGateway(`gateway-${spec.name}`);
      deployments.push({ spec, database, pool, merchant, gateway, replicas: [] });
    }
    await Promise.all(deployments.map(async (deployment) => deployment.replicas.push(await startVariantReplica(pg, deployment, 1))));
    results.push(...(await measureTopology(pg, deployments, 'single', scale, log)));

    const clustered = deployments.filter((deployment) => deployment.spec.cluster);
    log(`Starting two more replicas and HAProxy for ${clustered.map((deployment) => deployment.spec.name).join(', ')}`);
    for (const deployment of deployments.filter((candidate) => !candidate.spec.cluster)) {
      await stopAll(deployment.replicas);
      deployment.replicas = [];
    }
    await Promise.all(
      clustered.flatMap((deployment) => [2, 3].map(async (index) => deployment.replicas.push(await startVariantReplica(pg, deployment, index)))),
    );
    for (const deployment of clustered) {
      deployment.loadBalancer = await startLoadBalancer(`haproxy-${deployment.spec.name}`, deployment.replicas);
    }
    results.push(...(await measureTopology(pg, clustered, 'cluster', scale, log)));
  } finally {
    await stopAll(deployments.flatMap((deployment) => [deployment.loadBalancer, ...deployment.replicas]));
    await stopAll(deployments.map((deployment) => deployment.gateway));
  }
  return results;
}

function startVariantReplica(pg: BenchPostgres, deployment: Deployment, index: number): Promise<Service> {
  return startReplica({
    name: `${deployment.spec.name}-${index}`,
    entry: deployment.spec.entry,
    env: deployment.spec.env,
    databaseUrl: pg.url(deployment.database),
    gatewayUrl: deployment.gateway.url,
  });
}

async function measureTopology(
  pg: BenchPostgres,
  deployments: Deployment[],
  topology: Topology,
  scale: BenchScale,
  log: (message: string) => void,
): Promise<VariantResult[]> {
  const target = (deployment: Deployment) => (topology === 'single' ? deployment.replicas[0] : deployment.loadBalancer!).url;
  const results = new Map<Deployment, VariantResult>();

  // Storms first: the gateway ledger is still small, and nothing else has warmed the keys.
  for (const deployment of deployments) {
    log(`${topology}: duplicate storm on ${deployment.spec.name}`);
    const storm = await runStorm(target(deployment), deployment.pool, deployment.gateway.url, `${deployment.spec.name} ${topology}`);
    results.set(deployment, { variant: deployment.spec.name, topology, storm, rounds: [] });
  }
  for (const deployment of deployments) {
    await createLoad(target(deployment), deployment.merchant.apiKey, scale.warmupSeconds);
  }

  for (let round = 0; round < scale.rounds; round++) {
    const order = round % 2 === 0 ? deployments : [...deployments].reverse();
    for (const deployment of order) {
      const result = results.get(deployment)!;
      const url = target(deployment);
      const components = componentPids(pg, deployment);
      log(`${topology}: round ${round + 1} of ${scale.rounds}, ${deployment.spec.name}: create for ${scale.createSeconds} s`);

      const activityStart = round === 0 ? await startActivity(pg.admin, deployment.database) : undefined;
      let cpuBefore = sampleCpu(components);
      const create = await createLoad(url, deployment.merchant.apiKey, scale.createSeconds, scale.replayKeys);
      const cpuPerCreateMs = perRequestMs(cpuBetween(cpuBefore, sampleCpu(components)), create.ok);
      if (activityStart) {
        result.activity = await readActivity(pg.admin, deployment.database, activityStart);
      }

      const roundResult: RoundResult = { create, cpuPerCreateMs };
      if (deployment.spec.replays) {
        await expectReplay(url, deployment.merchant.apiKey, create.keys[0]);
        cpuBefore = sampleCpu(components);
        roundResult.replay = await replayLoad(url, deployment.merchant.apiKey, create.keys, scale.replaySeconds);
        roundResult.cpuPerReplayMs = perRequestMs(cpuBetween(cpuBefore, sampleCpu(components)), roundResult.replay.ok);
      }
      result.rounds.push(roundResult);
    }
  }
  return [...results.values()];
}

function componentPids(pg: BenchPostgres, deployment: Deployment): ComponentPids {
  const pids: ComponentPids = {
    replicas: () => deployment.replicas.map((replica) => replica.child.pid),
    postgres: postgresPids(pg.postmasterPid),
    gateway: () => [deployment.gateway.child.pid],
    'load generator': () => [process.pid],
  };
  if (deployment.spec.name === 'redis') {
    // The machine's Redis server; other users' commands, if any, count here too.
    pids['redis-server'] = pidsNamed('redis-server');
  }
  if (deployment.loadBalancer) {
    pids.haproxy = () => [deployment.loadBalancer!.child.pid];
  }
  return pids;
}

function perRequestMs(cpuSeconds: Record<string, number>, requests: number): Record<string, number> {
  return Object.fromEntries(Object.entries(cpuSeconds).map(([name, seconds]) => [name, requests > 0 ? (seconds * 1000) / requests : 0]));
}
