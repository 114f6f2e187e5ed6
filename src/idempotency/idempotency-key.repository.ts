import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { DataSource } from 'typeorm';
import type { ClaimedKey, ClaimResult, ExistingKey, KeyedRequest, StoredResponse } from './idempotency-key.record';

/** Channel that carries the id of a key whose state changed (completed, released or abandoned). */
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
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: Buffer | null;
  owned: boolean;
}

const RETURNED_COLUMNS = `
  id, merchant_id, key, request_method, request_path, request_hash, request_body, request_id, status,
  resource_id, fencing_token, attempts, coalesce(lease_expires_at > now(), false) AS lease_active,
  response_status, response_headers, response_body`;

/*
 * One statement claims a key, takes over an abandoned one, or reads the current owner's
 * state. INSERT ... ON CONFLICT decides atomically, so two replicas can never both
 * believe they own a key (no check-then-insert race). The conflict branch takes the row
 * only when its lease has expired for the same request, or when a completed key has
 * expired and is being reused for a new request. Lease and expiry use the database
 * clock, never a replica's.
 */
const CLAIM_SQL = `
  WITH claimed AS (
    INSERT INTO idempotency_keys AS k (
      merchant_id, key, request_method, request_path, request_hash, request_body, request_id,
      status, lease_expires_at, expires_at
    )
    VALUES (
      $1, $2, $3, $4, $5, $6::jsonb, $7, 'processing',
      now() + make_interval(secs => $8::double precision / 1000), now() + make_interval(secs => $9)
    )
    ON CONFLICT (merchant_id, key) DO UPDATE SET
      request_method = EXCLUDED.request_method,
      request_path = EXCLUDED.request_path,
      request_hash = EXCLUDED.request_hash,
      request_body = EXCLUDED.request_body,
      request_id = EXCLUDED.request_id,
      status = 'processing',
      resource_id = CASE WHEN k.status = 'completed' THEN gen_random_uuid() ELSE k.resource_id END,
      fencing_token = k.fencing_token + 1,
      attempts = CASE WHEN k.status = 'completed' THEN 1 ELSE k.attempts + 1 END,
      lease_expires_at = EXCLUDED.lease_expires_at,
      response_status = NULL,
      response_headers = NULL,
      response_body = NULL,
      created_at = CASE WHEN k.status = 'completed' THEN now() ELSE k.created_at END,
      updated_at = now(),
      expires_at = EXCLUDED.expires_at
    WHERE (k.status = 'processing' AND k.lease_expires_at <= now() AND k.request_hash = EXCLUDED.request_hash)
       OR (k.status = 'completed' AND k.expires_at <= now())
    RETURNING ${RETURNED_COLUMNS}
  )
  SELECT *, true AS owned FROM claimed
  UNION ALL
  SELECT ${RETURNED_COLUMNS}, false AS owned
  FROM idempotency_keys
  WHERE merchant_id = $1 AND key = $2 AND NOT EXISTS (SELECT 1 FROM claimed)`;

/**
 * SQL for the idempotency_keys table. Every write that ends a lease also sends a NOTIFY.
 * Writes are wrapped in a SELECT because TypeORM returns [rows, count] for a bare UPDATE or DELETE.
 */
@Injectable()
export class IdempotencyKeyRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
  ) {}

  /**
   * Claims the key in its own committed statement. Returns undefined in the rare race
   * where a row committed after this statement's snapshot hides from its read; the
   * caller then claims again.
   */
  async claim(request: KeyedRequest, leaseMs: number, ttlSeconds: number): Promise<ClaimResult | undefined> {
    const rows = await this.dataSource.query<KeyRow[]>(CLAIM_SQL, [
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
    const row = rows[0];
    if (!row) {
      return undefined;
    }
    if (!row.owned) {
      return { outcome: 'exists', existing: toExistingKey(row) };
    }
    return { outcome: row.attempts > 1 ? 'taken_over' : 'claimed', key: toClaimedKey(row) };
  }

  /**
   * Stores the final response. Runs inside the transaction that records the payment,
   * so a payment never commits without its stored response. The fencing token makes it
   * a no-op (false) for a worker whose key was taken over.
   */
  async complete(key: ClaimedKey, response: StoredResponse, ttlSeconds: number): Promise<boolean> {
    const rows = await this.txHost.tx.query<unknown[]>(
      `WITH completed AS (
         UPDATE idempotency_keys
         SET status = 'completed', response_status = $3, response_headers = $4::jsonb, response_body = $5,
             request_body = NULL, lease_expires_at = NULL, updated_at = now(),
             expires_at = now() + make_interval(secs => $6)
         WHERE id = $1 AND fencing_token = $2 AND status = 'processing'
         RETURNING id
       )
       SELECT pg_notify('${KEY_CHANGED_CHANNEL}', id::text) FROM completed`,
      [key.id, key.fencingToken, response.status, JSON.stringify(response.headers), response.body, ttlSeconds],
    );
    return rows.length === 1;
  }

  /** Deletes a key whose request failed before any side effect, so a retry starts afresh. */
  async release(key: ClaimedKey): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `WITH released AS (
         DELETE FROM idempotency_keys WHERE id = $1 AND fencing_token = $2 AND status = 'processing' RETURNING id
       )
       SELECT pg_notify('${KEY_CHANGED_CHANNEL}', id::text) FROM released`,
      [key.id, key.fencingToken],
    );
    return rows.length === 1;
  }

  /**
   * Ends the lease at once but keeps the key `processing`, for an outcome that is unknown
   * (the charge may have gone through). The next retry, or the recovery worker, takes it over.
   */
  async abandon(key: ClaimedKey): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `WITH abandoned AS (
         UPDATE idempotency_keys SET lease_expires_at = now(), updated_at = now()
         WHERE id = $1 AND fencing_token = $2 AND status = 'processing'
         RETURNING id
       )
       SELECT pg_notify('${KEY_CHANGED_CHANNEL}', id::text) FROM abandoned`,
      [key.id, key.fencingToken],
    );
    return rows.length === 1;
  }

  /**
   * Takes over up to `limit` keys whose lease expired. SKIP LOCKED lets every replica run
   * this at once without two of them taking the same key.
   */
  async takeOverExpired(limit: number, leaseMs: number): Promise<ClaimedKey[]> {
    const rows = await this.dataSource.query<KeyRow[]>(
      `WITH taken AS (
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
       RETURNING ${RETURNED_COLUMNS}
       )
       SELECT * FROM taken`,
      [limit, leaseMs],
    );
    return rows.map(toClaimedKey);
  }

  /** Deletes up to `limit` expired completed keys and returns how many it deleted. */
  async deleteExpired(limit: number): Promise<number> {
    const [result] = await this.dataSource.query<{ deleted: number }[]>(
      `WITH deleted AS (
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
      [limit],
    );
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
  return { id: row.id, status: row.status, requestHash: row.request_hash, leaseActive: row.lease_active, response };
}
