import type { Pool } from 'pg';

export interface StatementStat {
  query: string;
  calls: number;
  /** Plans made, fewer than calls when a prepared statement reuses its generic plan. */
  plans: number;
  /** Planning time per call, in milliseconds. */
  planMsPerCall: number;
  /** Execution time per call, in milliseconds. */
  meanExecMs: number;
  rows: number;
}

export interface WalIo {
  /** WAL flushes (fdatasync with the default wal_sync_method) and their total time in ms. */
  fsyncs: number;
  fsyncMs: number;
  writes: number;
}

export interface DatabaseActivity {
  statements: StatementStat[];
  wal: WalIo;
  commits: number;
}

export interface ActivitySnapshot {
  wal: WalIo;
  commits: number;
}

/** Clears pg_stat_statements and takes the counters that readActivity subtracts. */
export async function startActivity(admin: Pool, database: string): Promise<ActivitySnapshot> {
  await admin.query('SELECT pg_stat_statements_reset()');
  return { wal: await readWalIo(admin), commits: await readCommits(admin, database) };
}

/** Statements run in `database` since startActivity, busiest first, plus WAL flushes and commits in that time. */
export async function readActivity(admin: Pool, database: string, since: ActivitySnapshot): Promise<DatabaseActivity> {
  const { rows } = await admin.query<{ query: string; calls: string; plans: string; total_plan_time: number; mean_exec_time: number; rows: string }>(
    `SELECT s.query, s.calls, s.plans, s.total_plan_time, s.mean_exec_time, s.rows
     FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
     WHERE d.datname = $1
     ORDER BY s.calls DESC, s.total_exec_time DESC`,
    [database],
  );
  const wal = await readWalIo(admin);
  const commits = await readCommits(admin, database);
  return {
    statements: rows.map((row) => ({
      query: row.query.replace(/\s+/g, ' ').trim(),
      calls: Number(row.calls),
      plans: Number(row.plans),
      planMsPerCall: Number(row.calls) > 0 ? row.total_plan_time / Number(row.calls) : 0,
      meanExecMs: row.mean_exec_time,
      rows: Number(row.rows),
    })),
    wal: {
      fsyncs: wal.fsyncs - since.wal.fsyncs,
      fsyncMs: wal.fsyncMs - since.wal.fsyncMs,
      writes: wal.writes - since.wal.writes,
    },
    commits: commits - since.commits,
  };
}

async function readWalIo(admin: Pool): Promise<WalIo> {
  // PostgreSQL 16 and later report WAL I/O in pg_stat_io; the counters cover every backend type.
  const { rows } = await admin.query<{ fsyncs: string | null; fsync_ms: number | null; writes: string | null }>(
    `SELECT sum(fsyncs) AS fsyncs, sum(fsync_time) AS fsync_ms, sum(writes) AS writes FROM pg_stat_io WHERE object = 'wal'`,
  );
  return { fsyncs: Number(rows[0].fsyncs ?? 0), fsyncMs: Number(rows[0].fsync_ms ?? 0), writes: Number(rows[0].writes ?? 0) };
}

async function readCommits(admin: Pool, database: string): Promise<number> {
  // Statistics are sent at the end of each transaction and may lag by up to a second.
  await admin.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await admin.query<{ xact_commit: string }>('SELECT xact_commit FROM pg_stat_database WHERE datname = $1', [database]);
  return Number(rows[0]?.xact_commit ?? 0);
}
