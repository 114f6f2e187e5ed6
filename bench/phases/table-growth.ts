import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { fingerprintRequest } from '../../src/idempotency/request-fingerprint';
import type { BenchScale } from '../settings';
import { createLoad, expectReplay, medianLoad, PAYMENT_BODY, replayLoad, type LoadResult } from '../support/load';
import { createMerchant, type BenchPostgres, type Merchant } from '../support/postgres';
import { API_ENTRY, startMockGateway, startReplica, stopAll, type Service } from '../support/processes';
import { sampleView } from './database-limit';

const DATABASE = 'bench_growth';
// Stays near empty, so that each size is compared with a small table measured moments before.
const BASELINE_DATABASE = 'bench_growth_baseline';
const BULK_CHUNK_ROWS = 500_000;
// Two INSERT statements at once, one per core of the benchmark machine's size.
const BULK_STREAMS = 2;

export interface BaselineStep {
  rows: number;
  create: LoadResult;
  replayRecent: LoadResult;
}

export interface GrowthStep {
  rows: number;
  /** The same measurement on a replica of the near-empty baseline database, taken just before. */
  baseline: BaselineStep;
  create: LoadResult;
  /** Repeats of keys completed moments before, as client retries are. */
  replayRecent: LoadResult;
  /** Repeats of random bulk-loaded keys, whose rows are rarely in the buffer cache. */
  replayOld?: LoadResult;
  heapMb: number;
  indexMb: number;
}

export interface BulkLoad {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  vacuumSeconds: number;
}

export interface CleanupRun {
  batchSize: number;
  expiredAtStart: number;
  deleted: number;
  seconds: number;
  rowsPerSecond: number;
  /** True when the job deleted every expired row before the window ended; the rate then covers the time it took. */
  finished: boolean;
  create: LoadResult;
}

export interface TableGrowthResult {
  steps: GrowthStep[];
  bulkLoads: BulkLoad[];
  /** Set when the bulk load hit its time limit before the largest size. */
  stoppedEarly?: string;
  cleanupBaseline?: LoadResult;
  cleanup: CleanupRun[];
}

/**
 * Measures create and replay at growing sizes of idempotency_keys, then the cleanup job.
 * Bulk rows are completed keys of the load merchant with random keys ('bulk-' plus an MD5),
 * the request hash of PAYMENT_BODY and a stored response of a payment's size, so a repeat of
 * any of them is a valid replay. One replica with the cleanup job off serves the load. A
 * second replica, on a near-empty database, is measured just before it at every size,
 * because the shared machine's speed drifts more between sizes than the table size moves it.
 */
export async function runTableGrowth(pg: BenchPostgres, scale: BenchScale, log: (message: string) => void): Promise<TableGrowthResult> {
  const pool = await pg.createServiceDatabase(DATABASE);
  const merchant = await createMerchant(pool, 'Growth merchant');
  const baselinePool = await pg.createServiceDatabase(BASELINE_DATABASE);
  const baselineMerchant = await createMerchant(baselinePool, 'Growth baseline merchant');
  const gateway = await startMockGateway('gateway-growth');
  const services: Service[] = [gateway];
  const result: TableGrowthResult = { steps: [], bulkLoads: [], cleanup: [] };
  try {
    const [replica, baselineReplica] = await Promise.all(
      [
        { name: 'growth-1', database: DATABASE },
        { name: 'growth-baseline-1', database: BASELINE_DATABASE },
      ].map(({ name, database }) =>
        startReplica({ name, entry: API_ENTRY, env: { IDEMPOTENCY_CLEANUP_INTERVAL_MS: '0' }, databaseUrl: pg.url(database), gatewayUrl: gateway.url }),
      ),
    );
    services.push(replica, baselineReplica);
    await createLoad(replica.url, merchant.apiKey, scale.warmupSeconds);
    await createLoad(baselineReplica.url, baselineMerchant.apiKey, scale.warmupSeconds);

    // Rounds alternate the order (baseline first, then large table first), and figures are medians.
    const measure = async (bulkRows: number): Promise<GrowthStep> => {
      const baselines: BaselineStep[] = [];
      const steps: Omit<GrowthStep, 'baseline'>[] = [];
      for (let round = 0; round < scale.growthRounds; round++) {
        if (round % 2 === 0) {
          baselines.push(await measureBaseline(baselinePool, baselineReplica, baselineMerchant, scale));
          steps.push(await measureStep(pool, replica, merchant, bulkRows, scale));
        } else {
          steps.push(await measureStep(pool, replica, merchant, bulkRows, scale));
          baselines.push(await measureBaseline(baselinePool, baselineReplica, baselineMerchant, scale));
        }
      }
      const replayOld = steps.flatMap((step) => (step.replayOld ? [step.replayOld] : []));
      return {
        ...steps[steps.length - 1],
        create: medianLoad(steps.map((step) => step.create)),
        replayRecent: medianLoad(steps.map((step) => step.replayRecent)),
        replayOld: replayOld.length > 0 ? medianLoad(replayOld) : undefined,
        baseline: {
          rows: baselines[baselines.length - 1].rows,
          create: medianLoad(baselines.map((baseline) => baseline.create)),
          replayRecent: medianLoad(baselines.map((baseline) => baseline.replayRecent)),
        },
      };
    };
    let bulkRows = 0;
    log(`Table growth: measuring at ${await countKeys(pool)} rows`);
    result.steps.push(await measure(bulkRows));

    const deadline = Date.now() + scale.bulkLoadLimitSeconds * 1000;
    for (const target of scale.growthSizes) {
      const load = await bulkLoad(pool, merchant, bulkRows, target - (await countKeys(pool)), deadline, log);
      bulkRows += load.rows;
      result.bulkLoads.push(load);
      const rows = await countKeys(pool);
      if (rows < target) {
        result.stoppedEarly = `The bulk load reached ${rows} of ${target} rows within its ${scale.bulkLoadLimitSeconds} s limit.`;
      }
      log(`Table growth: measuring at ${rows} rows`);
      result.steps.push(await measure(bulkRows));
      if (result.stoppedEarly) {
        break;
      }
    }

    await insertExpired(pool, merchant, 'expired-0-', scale.expiredRows);
    log(`Cleanup: create p99 without the job, ${scale.expiredRows} expired rows present`);
    result.cleanupBaseline = await createLoad(replica.url, merchant.apiKey, scale.cleanupSeconds);
    await stopAll([replica, baselineReplica]);

    for (const batchSize of scale.cleanupBatchSizes) {
      const missing = scale.expiredRows - (await countExpired(pool));
      await insertExpired(pool, merchant, `expired-${batchSize}-`, missing);
      log(`Cleanup: batch size ${batchSize}, create load while the job runs`);
      result.cleanup.push(await measureCleanup(pg, pool, gateway, merchant, batchSize, scale));
    }
  } finally {
    await stopAll(services);
  }
  return result;
}

async function measureBaseline(pool: Pool, replica: Service, merchant: Merchant, scale: BenchScale): Promise<BaselineStep> {
  const rows = await countKeys(pool);
  const create = await createLoad(replica.url, merchant.apiKey, scale.growthSeconds, scale.replayKeys);
  const replayRecent = await replayLoad(replica.url, merchant.apiKey, create.keys, scale.growthSeconds);
  return { rows, create, replayRecent };
}

async function measureStep(pool: Pool, replica: Service, merchant: Merchant, bulkRows: number, scale: BenchScale): Promise<Omit<GrowthStep, 'baseline'>> {
  const rows = await countKeys(pool);
  const create = await createLoad(replica.url, merchant.apiKey, scale.growthSeconds, scale.replayKeys);
  await expectReplay(replica.url, merchant.apiKey, create.keys[0]);
  const replayRecent = await replayLoad(replica.url, merchant.apiKey, create.keys, scale.growthSeconds);
  let replayOld: LoadResult | undefined;
  if (bulkRows > 0) {
    const keys = Array.from({ length: scale.replayKeys }, () => bulkKey(1 + Math.floor(Math.random() * bulkRows)));
    await expectReplay(replica.url, merchant.apiKey, keys[0]);
    replayOld = await replayLoad(replica.url, merchant.apiKey, keys, scale.growthSeconds);
  }
  const { rows: sizes } = await pool.query<{ heap: string; indexes: string }>(
    `SELECT pg_relation_size('idempotency_keys') AS heap, pg_indexes_size('idempotency_keys') AS indexes`,
  );
  return {
    rows,
    create,
    replayRecent,
    replayOld,
    heapMb: Number(sizes[0].heap) / 2 ** 20,
    indexMb: Number(sizes[0].indexes) / 2 ** 20,
  };
}

// Matches the keys that bulkLoad writes: 'bulk-' || md5(g::text).
function bulkKey(sequence: number): string {
  return `bulk-${createHash('md5').update(String(sequence)).digest('hex')}`;
}

const BULK_INSERT_SQL = `
  INSERT INTO idempotency_keys (
    merchant_id, key, request_method, request_path, request_hash, request_body, request_id, status,
    resource_id, fencing_token, lease_expires_at, attempts, response_status, response_headers, response_body,
    created_at, updated_at, expires_at
  )
  SELECT $1, $2 || md5(g::text), 'POST', '/payments', $3, NULL, gen_random_uuid()::text, 'completed',
    gen_random_uuid(), 1, NULL, 1, 201, $4::jsonb, $5,
    created, created, created + make_interval(secs => $6)
  FROM generate_series($7::bigint, $8::bigint) AS g,
    -- Spread over the day before expiry, as keys written by steady traffic are.
    LATERAL (SELECT now() - make_interval(secs => $9 + (g % 86400))) AS t(created)`;

function bulkParameters(merchant: Merchant, prefix: string, ttlSeconds: number, first: number, last: number, ageSeconds: number): unknown[] {
  const view = sampleView();
  return [
    merchant.id,
    prefix,
    fingerprintRequest('POST', '/payments', JSON.parse(PAYMENT_BODY)),
    JSON.stringify({ 'content-type': 'application/json; charset=utf-8', location: `/payments/${String(view.id)}` }),
    Buffer.from(JSON.stringify(view), 'utf8'),
    ttlSeconds,
    first,
    last,
    ageSeconds,
  ];
}

/**
 * Inserts `count` completed keys that expire in a day, BULK_STREAMS statements at a time,
 * then runs VACUUM ANALYZE so that autovacuum does not start during the next measurement.
 * Stops at `deadline`, between chunks.
 */
async function bulkLoad(pool: Pool, merchant: Merchant, firstSequence: number, count: number, deadline: number, log: (message: string) => void): Promise<BulkLoad> {
  const started = performance.now();
  let inserted = 0;
  let next = firstSequence + 1;
  const end = firstSequence + Math.max(0, count);
  await Promise.all(
    Array.from({ length: BULK_STREAMS }, async () => {
      while (next <= end && Date.now() < deadline) {
        const first = next;
        const last = Math.min(end, first + BULK_CHUNK_ROWS - 1);
        next = last + 1;
        await pool.query(BULK_INSERT_SQL, bulkParameters(merchant, 'bulk-', 86400, first, last, 0));
        inserted += last - first + 1;
        log(`  bulk load: ${inserted} of ${count} rows`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const vacuumStarted = performance.now();
  await pool.query('VACUUM ANALYZE idempotency_keys');
  return { rows: inserted, seconds, rowsPerSecond: inserted / seconds, vacuumSeconds: (performance.now() - vacuumStarted) / 1000 };
}

/** Inserts `count` completed keys that expired an hour ago, for the cleanup job to delete. */
async function insertExpired(pool: Pool, merchant: Merchant, prefix: string, count: number): Promise<void> {
  if (count <= 0) {
    return;
  }
  // A TTL of one day on rows created a day and an hour ago.
  await pool.query(BULK_INSERT_SQL, bulkParameters(merchant, prefix, 86400, 1, count, 86400 + 3600));
  await pool.query('ANALYZE idempotency_keys');
}

async function countKeys(pool: Pool): Promise<number> {
  // An exact count: the figures are labelled with it.
  const { rows } = await pool.query<{ count: string }>('SELECT count(*) AS count FROM idempotency_keys');
  return Number(rows[0].count);
}

async function countExpired(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ count: string }>(
    `SELECT count(*) AS count FROM idempotency_keys WHERE status = 'completed' AND expires_at <= now()`,
  );
  return Number(rows[0].count);
}

/**
 * Starts a replica whose cleanup job runs every second with `batchSize`, puts create load
 * on it and counts the expired rows every second meanwhile.
 */
async function measureCleanup(
  pg: BenchPostgres,
  pool: Pool,
  gateway: Service,
  merchant: Merchant,
  batchSize: number,
  scale: BenchScale,
): Promise<CleanupRun> {
  const replica = await startReplica({
    name: `cleanup-${batchSize}`,
    entry: API_ENTRY,
    env: { IDEMPOTENCY_CLEANUP_INTERVAL_MS: '1000', IDEMPOTENCY_CLEANUP_BATCH_SIZE: String(batchSize) },
    databaseUrl: pg.url(DATABASE),
    gatewayUrl: gateway.url,
  });
  try {
    const expiredAtStart = await countExpired(pool);
    const started = performance.now();
    let finishedAt: number | undefined;
    let running = true;
    const load = createLoad(replica.url, merchant.apiKey, scale.cleanupSeconds).finally(() => {
      running = false;
    });
    while (running && finishedAt === undefined) {
      await new Promise((wake) => setTimeout(wake, 1000));
      if ((await countExpired(pool)) === 0) {
        finishedAt = performance.now();
      }
    }
    const create = await load;
    const seconds = ((finishedAt ?? performance.now()) - started) / 1000;
    const deleted = expiredAtStart - (await countExpired(pool));
    return { batchSize, expiredAtStart, deleted, seconds, rowsPerSecond: deleted / seconds, finished: finishedAt !== undefined, create };
  } finally {
    await stopAll([replica]);
  }
}
