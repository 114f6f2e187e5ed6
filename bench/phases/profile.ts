import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchScale } from '../settings';
import { cpuBetween, sampleCpu } from '../support/cpu-meter';
import { monotonicMicros, summariseProfile, type ProfileSummary } from '../support/cpu-profile';
import { createLoad, type LoadResult } from '../support/load';
import { createMerchant, type BenchPostgres } from '../support/postgres';
import { PROFILE_EXIT_PRELOAD, startMockGateway, startReplica, stopAll, type Service } from '../support/processes';
import { sampleWaitEvents, type WaitEventShare } from '../support/wait-events';
import type { VariantSpec } from './variants';

export interface ProfileRun {
  variant: string;
  create: LoadResult;
  /** CPU profile of the replica during the create run only. */
  cpu: ProfileSummary;
  profilePath: string;
  /**
   * CPU time of the replica per create, from /proc. The profile's busy time can be larger:
   * its samples also fall on a thread that waits in a system call for a core.
   */
  replicaCpuMsPerCreate: number;
  /** Wait events of the variant's busy database backends during the create run. */
  waitEvents: WaitEventShare[];
}

/**
 * Runs one replica of each variant under `node --cpu-prof` with create load, and samples
 * the database's wait events meanwhile. The profile is cut to the load window.
 */
export async function runProfiles(
  pg: BenchPostgres,
  specs: VariantSpec[],
  scale: BenchScale,
  profileDirectory: string,
  log: (message: string) => void,
): Promise<ProfileRun[]> {
  mkdirSync(profileDirectory, { recursive: true });
  const gateway = await startMockGateway('gateway-profile');
  const runs: ProfileRun[] = [];
  try {
    for (const spec of specs) {
      const database = `bench_profile_${spec.name}`;
      const pool = await pg.createServiceDatabase(database);
      const merchant = await createMerchant(pool, `Profile ${spec.name}`);
      const profileName = `${spec.name}.cpuprofile`;
      let replica: Service | undefined = await startReplica({
        name: `profile-${spec.name}`,
        entry: spec.entry,
        env: spec.env,
        nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDirectory}`, `--cpu-prof-name=${profileName}`, '--require', PROFILE_EXIT_PRELOAD],
        databaseUrl: pg.url(database),
        gatewayUrl: gateway.url,
      });
      try {
        await createLoad(replica.url, merchant.apiKey, scale.warmupSeconds);
        log(`Profile: ${spec.name} under create load for ${scale.profileSeconds} s`);
        const components = { replica: () => [replica!.child.pid] };
        const cpuBefore = sampleCpu(components);
        const from = monotonicMicros();
        const load = createLoad(replica.url, merchant.apiKey, scale.profileSeconds);
        const waitEvents = await sampleWaitEvents(pg.admin, database, load);
        const create = await load;
        const to = monotonicMicros();
        const replicaCpuMsPerCreate = (cpuBetween(cpuBefore, sampleCpu(components)).replica * 1000) / Math.max(1, create.ok);
        // Requests still in flight when the load ends would fail on a closing pool and clutter the log.
        await new Promise((wake) => setTimeout(wake, 1000));
        await stopAll([replica]);
        replica = undefined;

        const profilePath = join(profileDirectory, profileName);
        if (!existsSync(profilePath)) {
          throw new Error(`${profilePath} was not written: the profiled replica did not exit normally`);
        }
        runs.push({ variant: spec.name, create, cpu: summariseProfile(profilePath, from, to), profilePath, replicaCpuMsPerCreate, waitEvents });
      } finally {
        await stopAll([replica]);
      }
    }
  } finally {
    await stopAll([gateway]);
  }
  return runs;
}
