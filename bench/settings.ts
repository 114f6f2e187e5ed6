/** Durations in seconds and row counts of one run; `npm run bench:quick` uses the small scale. */
export interface BenchScale {
  name: 'full' | 'quick';
  warmupSeconds: number;
  createSeconds: number;
  replaySeconds: number;
  /** Rounds of the variant comparison; odd rounds run the variants in reverse order. */
  rounds: number;
  /** Completed keys that a replay run cycles through. */
  replayKeys: number;
  pgbenchSeconds: number;
  pgbenchRounds: number;
  /** pgbench connections: one replica's pool, then three replicas' pools. */
  pgbenchClients: number[];
  /** Target row counts of idempotency_keys for the table growth figures. */
  growthSizes: number[];
  /** Time limit of the bulk load; the growth figures stop at the size reached by then. */
  bulkLoadLimitSeconds: number;
  growthSeconds: number;
  /** Rounds at each table size; each round measures the baseline replica and the large table once. */
  growthRounds: number;
  expiredRows: number;
  cleanupBatchSizes: number[];
  cleanupSeconds: number;
  profileSeconds: number;
}

export const FULL_SCALE: BenchScale = {
  name: 'full',
  warmupSeconds: 3,
  createSeconds: 12,
  replaySeconds: 6,
  rounds: 2,
  replayKeys: 1000,
  pgbenchSeconds: 10,
  pgbenchRounds: 2,
  pgbenchClients: [20, 60],
  growthSizes: [1_000_000, 10_000_000],
  bulkLoadLimitSeconds: 420,
  growthSeconds: 8,
  growthRounds: 2,
  expiredRows: 1_000_000,
  cleanupBatchSizes: [1000, 10_000],
  cleanupSeconds: 12,
  profileSeconds: 10,
};

export const QUICK_SCALE: BenchScale = {
  name: 'quick',
  warmupSeconds: 1,
  createSeconds: 2,
  replaySeconds: 1,
  rounds: 1,
  replayKeys: 200,
  pgbenchSeconds: 1,
  pgbenchRounds: 1,
  pgbenchClients: [20, 60],
  growthSizes: [100_000],
  bulkLoadLimitSeconds: 30,
  growthSeconds: 2,
  growthRounds: 1,
  expiredRows: 50_000,
  cleanupBatchSizes: [1000],
  cleanupSeconds: 2,
  profileSeconds: 2,
};
