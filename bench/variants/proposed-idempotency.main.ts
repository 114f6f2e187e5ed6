import type { ClaimedKey, ClaimResult, KeyedRequest, StoredResponse } from '../../src/idempotency/idempotency-key.record';
import { IdempotencyKeyRepository } from '../../src/idempotency/idempotency-key.repository';

/*
 * Benchmark-only entry point: src/main.ts with two proposed changes to
 * IdempotencyKeyRepository, applied to its prototype before the service boots, so that
 * their effect is measured before anyone changes src/. Commit 86fd094 made both changes,
 * so bench/main.ts skips this variant for builds that contain them.
 *
 * 1. complete() sends no NOTIFY. PostgreSQL holds a database-wide lock from a notifying
 *    transaction's pre-commit until its commit record is flushed, so every payment commit
 *    waits for the one before it. This is the common path of the proposed fix, which
 *    notifies only keys that a duplicate waits on. Waiting duplicates here fall back to
 *    polling every IDEMPOTENCY_POLL_MS, so storms are not measured with this variant.
 * 2. claim() inserts with ON CONFLICT DO NOTHING, which only reads an existing key. The
 *    current statement's DO UPDATE locks the row even when its WHERE clause is false, so
 *    each replay gets a transaction id and waits for a WAL flush. A key that is due for a
 *    takeover goes to the current statement, which decides atomically as before.
 */

const COLUMNS = `
  id, merchant_id, key, request_method, request_path, request_hash, request_body, request_id, status,
  resource_id, fencing_token, attempts, coalesce(lease_expires_at > now(), false) AS lease_active,
  response_status, response_headers, response_body`;

const CLAIM_OR_READ_SQL = `
  WITH claimed AS (
    INSERT INTO idempotency_keys (
      merchant_id, key, request_method, request_path, request_hash, request_body, request_id,
      status, lease_expires_at, expires_at
    )
    VALUES (
      $1, $2, $3, $4, $5, $6::jsonb, $7, 'processing',
      now() + make_interval(secs => $8::double precision / 1000), now() + make_interval(secs => $9)
    )
    ON CONFLICT (merchant_id, key) DO NOTHING
    RETURNING ${COLUMNS}
  )
  SELECT *, true AS owned, false AS takeover_due FROM claimed
  UNION ALL
  SELECT ${COLUMNS}, false AS owned,
    (status = 'processing' AND lease_expires_at <= now() AND request_hash = $5)
      OR (status = 'completed' AND expires_at <= now()) AS takeover_due
  FROM idempotency_keys
  WHERE merchant_id = $1 AND key = $2 AND NOT EXISTS (SELECT 1 FROM claimed)`;

const COMPLETE_WITHOUT_NOTIFY_SQL = `
  WITH completed AS (
    UPDATE idempotency_keys
    SET status = 'completed', response_status = $3, response_headers = $4::jsonb, response_body = $5,
        request_body = NULL, lease_expires_at = NULL, updated_at = now(),
        expires_at = now() + make_interval(secs => $6)
    WHERE id = $1 AND fencing_token = $2 AND status = 'processing'
    RETURNING id
  )
  SELECT id FROM completed`;

interface Row {
  id: string;
  merchant_id: string;
  key: string;
  request_method: string;
  request_path: string;
  request_hash: Buffer;
  request_body: unknown;
  request_id: string | null;
  status: 'processing' | 'completed';
  resource_id: string;
  fencing_token: string;
  attempts: number;
  lease_active: boolean;
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: Buffer | null;
  owned: boolean;
  takeover_due: boolean;
}

interface Query {
  query<T>(sql: string, parameters: unknown[]): Promise<T>;
}

// The repository's private fields, reached from the patched methods.
interface RepositoryInternals {
  dataSource: Query;
  txHost: { tx: Query };
}

const prototype = IdempotencyKeyRepository.prototype;
const currentClaim = prototype.claim;

prototype.claim = async function claim(request: KeyedRequest, leaseMs: number, ttlSeconds: number): Promise<ClaimResult | undefined> {
  const { dataSource } = this as unknown as RepositoryInternals;
  const [row] = await dataSource.query<Row[]>(CLAIM_OR_READ_SQL, [
    request.merchantId,
    request.key,
    request.method,
    request.path,
    request.hash,
    JSON.stringify(request.body ?? null),
    request.requestId,
    leaseMs,
    ttlSeconds,
  ]);
  if (!row) {
    return undefined;
  }
  if (row.takeover_due) {
    return currentClaim.call(this, request, leaseMs, ttlSeconds);
  }
  if (row.owned) {
    const key: ClaimedKey = {
      id: row.id,
      merchantId: row.merchant_id,
      key: row.key,
      method: row.request_method,
      path: row.request_path,
      requestBody: row.request_body,
      requestId: row.request_id,
      resourceId: row.resource_id,
      fencingToken: String(row.fencing_token),
      attempts: row.attempts,
    };
    return { outcome: 'claimed', key };
  }
  const response =
    row.status === 'completed' && row.response_status !== null && row.response_body !== null
      ? { status: row.response_status, headers: row.response_headers ?? {}, body: row.response_body }
      : null;
  // Cast because ExistingKey may gain fields in newer builds, where main.ts skips this variant.
  return {
    outcome: 'exists',
    existing: { id: row.id, status: row.status, requestHash: row.request_hash, leaseActive: row.lease_active, response },
  } as unknown as ClaimResult;
};

prototype.complete = async function complete(key: ClaimedKey, response: StoredResponse, ttlSeconds: number): Promise<boolean> {
  const { txHost } = this as unknown as RepositoryInternals;
  const rows = await txHost.tx.query<unknown[]>(COMPLETE_WITHOUT_NOTIFY_SQL, [
    key.id,
    key.fencingToken,
    response.status,
    JSON.stringify(response.headers),
    response.body,
    ttlSeconds,
  ]);
  return rows.length === 1;
};

// Boots the service only now, with the patched prototype in place.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../../src/main');
