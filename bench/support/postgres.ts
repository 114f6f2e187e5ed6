import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { loadEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { runMigrations } from '../../src/database/migrate';
import { letPostgresUserReach } from '../../src/database/postgres-user-access';
import { generateApiKey, hashApiKey } from '../../src/merchants/api-key';
import { freePort } from '../../test/support/free-port';

const USER = 'postgres';
// A throwaway server on 127.0.0.1 that lives only as long as one benchmark run.
const PASSWORD = 'postgres';

/**
 * Server settings of every run, recorded in the results. Durability stays at the
 * defaults (fsync and synchronous_commit on), because the cost of a commit is part of
 * what the benchmarks compare. The rest are choices for this benchmark, not tuning
 * advice: the indexes of a 10M-row idempotency_keys table fit in shared_buffers, and
 * pg_stat_statements with I/O timing feeds the profile of a create.
 */
export const POSTGRES_SETTINGS: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  max_connections: '300',
  shared_buffers: '1GB',
  max_wal_size: '8GB',
  shared_preload_libraries: 'pg_stat_statements',
  'pg_stat_statements.track_planning': 'on',
  track_io_timing: 'on',
  track_wal_io_timing: 'on',
};

export interface Merchant {
  id: string;
  apiKey: string;
}

export interface BenchPostgres {
  port: number;
  /** Pool on the `postgres` database, for statistics and CREATE DATABASE. */
  admin: Pool;
  /** Process id of the postmaster, whose children are the server's backends. */
  postmasterPid: number;
  version: string;
  url(database: string): string;
  /** Creates a database with the service's schema and returns a small pool on it. */
  createServiceDatabase(database: string): Promise<Pool>;
  stop(): Promise<void>;
}

/**
 * Starts a throwaway embedded PostgreSQL in a temporary folder on a free port. It never
 * touches the machine's own PostgreSQL or the `npm start` data in .data/postgres.
 */
export async function startBenchPostgres(log: (message: string) => void): Promise<BenchPostgres> {
  const dataDir = mkdtempSync(join(tmpdir(), 'payments-bench-pg-'));
  const port = await freePort();
  letPostgresUserReach(require.resolve('pg'), dataDir);

  const flags = Object.entries(POSTGRES_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  const server = new (loadEmbeddedPostgres())({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: flags,
    onLog: () => undefined,
    onError: (error) => log(`embedded PostgreSQL: ${String(error)}`),
  });
  await server.initialise();
  await server.start();

  const url = (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  const admin = quietPool(url('postgres'));
  await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  const [{ server_version: version }] = (await admin.query<{ server_version: string }>('SHOW server_version')).rows;
  const postmasterPid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const pools: Pool[] = [];

  return {
    port,
    admin,
    postmasterPid,
    version,
    url,
    async createServiceDatabase(database) {
      await admin.query(`CREATE DATABASE ${database}`);
      await runMigrations(url(database));
      const pool = quietPool(url(database));
      pools.push(pool);
      return pool;
    },
    async stop() {
      await Promise.all([...pools, admin].map((pool) => pool.end().catch(() => undefined)));
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Creates a small pool whose idle connections may end without an unhandled 'error' event,
 * as they do when the server stops at the end of a run.
 */
function quietPool(connectionString: string): Pool {
  const pool = new Pool({ connectionString, max: 4 });
  pool.on('error', () => undefined);
  return pool;
}

/** Inserts a merchant and returns its id and API key. */
export async function createMerchant(pool: Pool, name: string): Promise<Merchant> {
  const apiKey = generateApiKey();
  const { rows } = await pool.query<{ id: string }>('INSERT INTO merchants (name, api_key_sha256) VALUES ($1, $2) RETURNING id', [
    name,
    hashApiKey(apiKey),
  ]);
  return { id: rows[0].id, apiKey };
}
