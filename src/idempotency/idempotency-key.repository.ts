import { Injectable } from '@nestjs/common';
import { type PreparedStatement, PreparedStatements } from '../database/prepared-statements';
import type { ClaimedKey, ClaimResult, ExistingKey, KeyedRequest, StoredResponse } from './idempotency-key.record';

/** Channel that carries the id of a key whose state changed (completed with waiters, released or abandoned). */
export const KEY_CHANGED_CHANNEL = 'idempotency_key_changed';

interface KeyRow {
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
  expired: boolean;
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: Buffer | null;
  owned: boolean;
}

const RETURNED_COLUMNS = `
  id, merchant_id, key, request_method, request_path, request_hash, request_body, request_id, status,
  resource_id, fencing_token, attempts, coalesce(lease_expires_at > now(), false) AS lease_active,
  (status = 'completed' AND expires_at <= now()) AS expired,
  response_status, response_headers, response_body`;

/*
 * One statement reads an existing key, without a row lock, or claims a new one. The INSERT
 * runs only when the read finds no row, which keeps replays cheap, and ON CONFLICT DO NOTHING
 * lets only one replica create a key. Lease and expiry use the database clock.
 */
export const CLAIM: PreparedStatement = {
  name: 'idempotency_keys_claim',
  text: `
  WITH existing AS (
    SELECT ${RETURNED_COLUMNS}
    FROM idempotency_keys
    WHERE merchant_id = $1 AND key = $2
  ), claimed AS (
    INSERT INTO idempotency_keys (
      merchant_id, key, request_method, request_path, request_hash, request_body, request_id,
      status, lease_expires_at, expires_at
    )
    SELECT
      $1, $2, $3, $4, $5, $6::jsonb, $7, 'processing',
      now() + make_interval(secs => $8::double precision / 1000), now() + make_interval(secs => $9)
    WHERE NOT EXISTS (SELECT 1 FROM existing)
    ON CONFLICT (merchant_id, key) DO NOTHING
    RETURNING ${RETURNED_COLUMNS}
  )
  SELECT *, true AS owned FROM claimed
  UNION ALL
  SELECT *, false AS owned FROM existing`,
};

/*
 * Compare-and-set on the fencing token that the caller read, so the takeover succeeds for
 * one worker only. It also requires the key to be free to take: an expired lease for the
 * same request, or a completed key past its retention, which starts a new request.
 */
// $1 and $2 name the key and the token read; $3 to $9 are as in CLAIM.
const TAKE_OVER: PreparedStatement = {
  name: 'idempotency_keys_take_over',
  text: `
    UPDATE idempotency_keys AS k SET
      request_method = $3,
      request_path = $4,
      request_hash = $5,
      request_body = $6::jsonb,
      request_id = $7,
      status = 'processing',
      resource_id = CASE WHEN k.status = 'completed' THEN gen_random_uuid() ELSE k.resource_id END,
      fencing_token = k.fencing_token + 1,
      attempts = CASE WHEN k.status = 'completed' THEN 1 ELSE k.attempts + 1 END,
      has_waiters = CASE WHEN k.status = 'completed' THEN false ELSE k.has_waiters END,
      lease_expires_at = now() + make_interval(secs => $8::double precision / 1000),
      response_status = NULL,
      response_headers = NULL,
      response_body = NULL,
      created_at = CASE WHEN k.status = 'completed' THEN now() ELSE k.created_at END,
      updated_at = now(),
      expires_at = now() + make_interval(secs => $9)
    WHERE k.id = $1 AND k.fencing_token = $2
      AND ((k.status = 'processing' AND k.lease_expires_at <= now() AND k.request_hash = $5)
        OR (k.status = 'completed' AND k.expires_at <= now()))
    RETURNING ${RETURNED_COLUMNS}`,
};

const REGISTER_WAITER: PreparedStatement = {
  name: 'idempotency_keys_register_waiter',
  text: `
    WITH marked AS (
      UPDATE idempotency_keys SET has_waiters = true
      WHERE id = $1 AND status = 'processing' AND NOT has_waiters
      RETURNING id
    )
    SELECT id FROM marked
    UNION ALL
    SELECT id FROM idempotency_keys WHERE id = $1 AND status = 'processing' AND has_waiters`,
};

// clock_timestamp(), because now() is the start of the transaction, before the gateway call:
// retention counted from there could end before the key is even committed.
export const COMPLETE: PreparedStatement = {
  name: 'idempotency_keys_complete',
  text: `
    UPDATE idempotency_keys
    SET status = 'completed', response_status = $3, response_headers = $4::jsonb, response_body = $5,
        request_body = NULL, lease_expires_at = NULL, updated_at = clock_timestamp(),
        expires_at = clock_timestamp() + make_interval(secs => $6)
    WHERE id = $1 AND fencing_token = $2 AND status = 'processing'
    RETURNING id, CASE WHEN has_waiters THEN pg_notify('${KEY_CHANGED_CHANNEL}', id::text) END`,
};

const RELEASE: PreparedStatement = {
  name: 'idempotency_keys_release',
  text: `
    DELETE FROM idempotency_keys WHERE id = $1 AND fencing_token = $2 AND status = 'processing'
    RETURNING pg_notify('${KEY_CHANGED_CHANNEL}', id::text)`,
};

const ABANDON: PreparedStatement = {
  name: 'idempotency_keys_abandon',
  text: `
    UPDATE idempotency_keys SET lease_expires_at = now(), updated_at = now()
    WHERE id = $1 AND fencing_token = $2 AND status = 'processing'
    RETURNING pg_notify('${KEY_CHANGED_CHANNEL}', id::text)`,
};

// Takes keys in lease order; SKIP LOCKED passes over keys that another replica is taking.
const TAKE_OVER_EXPIRED: PreparedStatement = {
  name: 'idempotency_keys_take_over_expired',
  text: `
    UPDATE idempotency_keys AS k
    SET fencing_token = k.fencing_token + 1, attempts = k.attempts + 1, updated_at = now(),
        lease_expires_at = now() + make_interval(secs => $2::double precision / 1000)
    FROM (
      SELECT id AS due_id FROM idempotency_keys
      WHERE status = 'processing' AND lease_expires_at <= now()
      ORDER BY lease_expires_at
      LIMIT $1
      FOR UPDATE SKIP LOCKED
    ) AS due
    WHERE k.id = due.due_id
    RETURNING ${RETURNED_COLUMNS}`,
};

const DELETE_EXPIRED: PreparedStatement = {
  name: 'idempotency_keys_delete_expired',
  text: `
    WITH deleted AS (
      DELETE FROM idempotency_keys
      WHERE id IN (
        SELECT id FROM idempotency_keys
        WHERE status = 'completed' AND expires_at <= now()
        ORDER BY expires_at
        LIMIT $1
        FOR UPDATE SKIP LOCKED
      )
      RETURNING 1
    )
    SELECT count(*)::int AS deleted FROM deleted`,
};

/**
 * SQL for the idempotency_keys table. Releasing or abandoning a key always sends a NOTIFY, and
 * completing one sends it only when a waiter registered.
 */
@Injectable()
export class IdempotencyKeyRepository {
  constructor(private readonly statements: PreparedStatements) {}

  /**
   * Claims the key in its own committed statement, or returns the existing key.
   * Returns undefined in the rare race where a row committed after this statement's
   * snapshot hides from its read; the caller then claims again.
   */
  async claim(request: KeyedRequest, leaseMs: number, ttlSeconds: number): Promise<ClaimResult | undefined> {
    const rows = await this.statements.run<KeyRow>(CLAIM, this.requestParameters(request, leaseMs, ttlSeconds));
    const row = rows[0];
    if (!row) {
      return undefined;
    }
    return row.owned ? { outcome: 'claimed', key: toClaimedKey(row) } : { outcome: 'exists', existing: toExistingKey(row) };
  }

  /**
   * Takes over a key whose lease expired, or reuses a completed key past its retention.
   * Returns undefined when another worker changed the key first.
   */
  async takeOver(existing: ExistingKey, request: KeyedRequest, leaseMs: number, ttlSeconds: number): Promise<ClaimedKey | undefined> {
    const [, , ...requestParameters] = this.requestParameters(request, leaseMs, ttlSeconds);
    const rows = await this.statements.run<KeyRow>(TAKE_OVER, [existing.id, existing.fencingToken, ...requestParameters]);
    return rows[0] ? toClaimedKey(rows[0]) : undefined;
  }

  /**
   * Asks the owner to NOTIFY when the key completes. NOTIFY serialises committing
   * transactions on a global lock, so the owner sends one only when someone waits.
   * Returns false when the key is no longer in flight, so there is nothing to wait for.
   */
  async registerWaiter(keyId: string): Promise<boolean> {
    const rows = await this.statements.run(REGISTER_WAITER, [keyId]);
    return rows.length > 0;
  }

  private requestParameters(request: KeyedRequest, leaseMs: number, ttlSeconds: number): unknown[] {
    return [
      request.merchantId,
      request.key,
      request.method,
      request.path,
      request.hash,
      JSON.stringify(request.body ?? null),
      request.requestId,
      leaseMs,
      ttlSeconds,
    ];
  }

  /**
   * Stores the final response. Runs inside the transaction that records the payment,
   * so a payment never commits without its stored response. The fencing token makes it
   * a no-op (false) for a worker whose key was taken over. It notifies only registered waiters.
   */
  async complete(key: ClaimedKey, response: StoredResponse, ttlSeconds: number): Promise<boolean> {
    const rows = await this.statements.run(COMPLETE, [
      key.id,
      key.fencingToken,
      response.status,
      JSON.stringify(response.headers),
      response.body,
      ttlSeconds,
    ]);
    return rows.length === 1;
  }

  /** Deletes a key whose request failed before any side effect, so a retry starts afresh. */
  async release(key: ClaimedKey): Promise<boolean> {
    const rows = await this.statements.run(RELEASE, [key.id, key.fencingToken]);
    return rows.length === 1;
  }

  /**
   * Ends the lease at once but keeps the key `processing`, for an outcome that is unknown
   * (the charge may have gone through). The next retry, or the recovery worker, takes it over.
   */
  async abandon(key: ClaimedKey): Promise<boolean> {
    const rows = await this.statements.run(ABANDON, [key.id, key.fencingToken]);
    return rows.length === 1;
  }

  /**
   * Takes over up to `limit` keys whose lease expired. SKIP LOCKED lets every replica run
   * this at once without two of them taking the same key.
   */
  async takeOverExpired(limit: number, leaseMs: number): Promise<ClaimedKey[]> {
    const rows = await this.statements.run<KeyRow>(TAKE_OVER_EXPIRED, [limit, leaseMs]);
    return rows.map(toClaimedKey);
  }

  /** Deletes up to `limit` expired completed keys and returns how many it deleted. */
  async deleteExpired(limit: number): Promise<number> {
    const [result] = await this.statements.run<{ deleted: number }>(DELETE_EXPIRED, [limit]);
    return result.deleted;
  }
}

function toClaimedKey(row: KeyRow): ClaimedKey {
  return {
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
}

function toExistingKey(row: KeyRow): ExistingKey {
  const response =
    row.status === 'completed' && row.response_status !== null && row.response_body !== null
      ? { status: row.response_status, headers: row.response_headers ?? {}, body: row.response_body }
      : null;
  return {
    id: row.id,
    status: row.status,
    requestHash: row.request_hash,
    fencingToken: String(row.fencing_token),
    leaseActive: row.lease_active,
    expired: row.expired,
    response,
  };
}
