import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { hashApiKey } from '../../src/merchants/api-key';
import { fingerprintRequest } from '../../src/idempotency/request-fingerprint';
import { KEY_CHANGED_CHANNEL } from '../../src/idempotency/idempotency-key.repository';
import { PAYMENT_BODY } from '../support/load';
import { createMerchant, type BenchPostgres } from '../support/postgres';
import { PGBENCH_SCRIPTS, type PgbenchScript } from './pgbench-scripts';

const run = promisify(execFile);

const DATABASE = 'bench_pgbench';
const REPLAY_KEYS = 10_000;

export interface PgbenchResult {
  script: string;
  round: number;
  description: string;
  clients: number;
  tps: number;
  latencyMs: number;
  failed: number;
  /** Mean latency of each statement as the client sees it, round trip included. */
  statements: { ms: number; statement: string }[];
}

export interface DatabaseLimitResult {
  skipped?: string;
  command?: string;
  results: PgbenchResult[];
}

/** pgbench from PGBENCH, else /usr/bin/pgbench (Debian package postgresql-client-15 or postgresql-15). */
export function findPgbench(): string | undefined {
  const candidate = process.env.PGBENCH ?? '/usr/bin/pgbench';
  try {
    accessSync(candidate, constants.X_OK);
    return candidate;
  } catch {
    return undefined;
  }
}

/**
 * Runs each pgbench script against its own database on the benchmark's server, with each
 * of `clientCounts` connections for `seconds`, `rounds` times (in reverse order every
 * other round). One LISTEN connection stays open meanwhile, as a replica's key change
 * listener does, so NOTIFY costs what it costs in the service.
 */
export async function runDatabaseLimit(
  pg: BenchPostgres,
  clientCounts: number[],
  seconds: number,
  rounds: number,
  log: (message: string) => void,
): Promise<DatabaseLimitResult> {
  const pgbench = findPgbench();
  if (!pgbench) {
    return { skipped: 'pgbench was not found: install postgresql-client-15 or set PGBENCH to its path', results: [] };
  }

  const pool = await pg.createServiceDatabase(DATABASE);
  const merchant = await createMerchant(pool, 'pgbench merchant');
  const requestHash = fingerprintRequest('POST', '/payments', JSON.parse(PAYMENT_BODY));
  await seedReplayKeys(pool, merchant.id, requestHash);

  const listener = new Client({ connectionString: pg.url(DATABASE) });
  await listener.connect();
  await listener.query(`LISTEN ${KEY_CHANGED_CHANNEL}`);
  listener.on('notification', () => undefined);

  const responseBody = Buffer.from(JSON.stringify(sampleView()), 'utf8');
  const variables: Record<string, string> = {
    merchant: merchant.id,
    api_key_hash: `\\x${hashApiKey(merchant.apiKey).toString('hex')}`,
    fingerprint: `\\x${requestHash.toString('hex')}`,
    request_json: PAYMENT_BODY,
    stored_headers: JSON.stringify({ 'content-type': 'application/json; charset=utf-8', location: '/payments/0' }),
    stored_body: `\\x${responseBody.toString('hex')}`,
    charge_id: 'ch_benchmark',
    replay_keys: String(REPLAY_KEYS),
  };

  const folder = mkdtempSync(join(tmpdir(), 'payments-bench-pgbench-'));
  const results: PgbenchResult[] = [];
  let command = '';
  try {
    for (let round = 0; round < rounds; round++) {
      for (const clients of clientCounts) {
        // At the cluster's connection count, only the two scripts the ratios need.
        const scripts = clients === clientCounts[0] ? PGBENCH_SCRIPTS : PGBENCH_SCRIPTS.filter((script) => script.name === 'payment' || script.name === 'claim+payment');
        for (const script of round % 2 === 0 ? scripts : [...scripts].reverse()) {
          const file = join(folder, `${script.name.replace(/[^a-z0-9]+/gi, '-')}.sql`);
          writeFileSync(file, script.text);
          const args = pgbenchArgs(script, file, clients, seconds, variables, pg.url(DATABASE));
          command ||= `pgbench ${args.map((arg) => (/[\s"'{}\\]/.test(arg) ? `'${arg}'` : arg)).join(' ')}`;
          log(`pgbench round ${round + 1} of ${rounds}: ${script.name}, ${clients} clients, ${seconds} s`);
          const { stdout } = await run(pgbench, args, {
            env: { ...process.env, PGOPTIONS: script.options ?? '' },
            maxBuffer: 16 * 1024 * 1024,
            timeout: (seconds + 60) * 1000,
          });
          results.push({ ...parsePgbench(stdout, script, clients), round: round + 1 });
        }
      }
    }
  } finally {
    await listener.end().catch(() => undefined);
    rmSync(folder, { recursive: true, force: true });
  }
  return { command, results };
}

function pgbenchArgs(
  script: PgbenchScript,
  file: string,
  clients: number,
  seconds: number,
  variables: Record<string, string>,
  url: string,
): string[] {
  return [
    '--no-vacuum',
    `--protocol=${script.protocol}`,
    `--client=${clients}`,
    '--jobs=2',
    `--time=${seconds}`,
    '--report-per-command',
    ...Object.entries(variables).flatMap(([name, value]) => ['--define', `${name}=${value}`]),
    `--file=${file}`,
    url,
  ];
}

function parsePgbench(output: string, script: PgbenchScript, clients: number): Omit<PgbenchResult, 'round'> {
  const tps = Number(/tps = ([\d.]+)/.exec(output)?.[1]);
  if (!Number.isFinite(tps)) {
    throw new Error(`pgbench printed no tps for script "${script.name}":\n${output}`);
  }
  const statements: PgbenchResult['statements'] = [];
  const perCommand = output.split(/statement latencies in milliseconds[^\n]*\n/)[1] ?? '';
  for (const line of perCommand.split('\n')) {
    const match = /^\s+([\d.]+)\s+\d+\s+(.*)$/.exec(line);
    if (match && !match[2].startsWith('\\set')) {
      statements.push({ ms: Number(match[1]), statement: match[2].trim().slice(0, 60) });
    }
  }
  return {
    script: script.name,
    description: script.description,
    clients,
    tps,
    latencyMs: Number(/latency average = ([\d.]+) ms/.exec(output)?.[1]),
    failed: Number(/number of failed transactions: (\d+)/.exec(output)?.[1] ?? 0),
    statements,
  };
}

/** Completed keys replay-1 .. replay-N with the request hash of PAYMENT_BODY, for the replay scripts. */
async function seedReplayKeys(pool: import('pg').Pool, merchantId: string, requestHash: Buffer): Promise<void> {
  await pool.query(
    `INSERT INTO idempotency_keys (merchant_id, key, request_method, request_path, request_hash, status,
       response_status, response_headers, response_body, expires_at)
     SELECT $1, 'replay-' || g, 'POST', '/payments', $2, 'completed', 201, '{}'::jsonb, $3, now() + interval '1 day'
     FROM generate_series(1, $4) AS g`,
    [merchantId, requestHash, Buffer.from(JSON.stringify(sampleView()), 'utf8'), REPLAY_KEYS],
  );
  await pool.query('VACUUM ANALYZE idempotency_keys');
}

/** Builds a payment view of the size that the service stores as a response body. */
export function sampleView(): Record<string, unknown> {
  return {
    id: '7f9c2b1e-4a3d-4e8f-9b6a-0c1d2e3f4a5b',
    amount: 2500,
    currency: 'USD',
    status: 'succeeded',
    description: null,
    metadata: {},
    gatewayChargeId: 'ch_7f9c2b1e4a3d4e8f9b6a0c1d',
    declineCode: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.001Z',
  };
}
