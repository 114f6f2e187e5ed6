/*
 * pgbench scripts with the SQL that one POST /payments sends, statement by statement, as
 * pg_stat_statements shows it for the service. In order: TypeORM's merchant lookup, the
 * claim from IdempotencyKeyRepository, TypeORM's START TRANSACTION and INSERT, the payment
 * update from PaymentsService, the completion, and COMMIT. pgbench variables take the
 * place of the service's parameters. The scripts make no gateway call between the INSERT
 * and the update, so they measure the database alone.
 *
 * The claim and completion follow commit 86fd094. The scripts marked "as of 956a076" keep
 * the earlier statements, a claim with ON CONFLICT DO UPDATE and a NOTIFY on every
 * completion, to show what that change gained. Update both when the repository's SQL changes.
 */

// Variable names differ from the claim's column names, because \gset stores every returned column in a variable.

/** Key of a new request: unique per client and transaction, like the UUID a client sends. */
const NEW_KEY = `(:client_id::text || '-' || :n::text)`;
/** Key of a completed request that the replay scripts repeat; see seedReplayKeys. */
const REPLAY_KEY = `('replay-' || :r::text)`;

const NEW_KEY_NUMBER = `\\set n random(1, 1000000000000000)`;

const MERCHANT_LOOKUP = `SELECT "Merchant"."id" AS "Merchant_id", "Merchant"."name" AS "Merchant_name", "Merchant"."created_at" AS "Merchant_created_at" FROM "merchants" "Merchant" WHERE (("Merchant"."api_key_sha256" = :api_key_hash)) LIMIT 1;`;

const RETURNED_COLUMNS = `id, merchant_id, key, request_method, request_path, request_hash, request_body, request_id, status,
    resource_id, fencing_token, attempts, coalesce(lease_expires_at > now(), false) AS lease_active,
    (status = 'completed' AND expires_at <= now()) AS expired,
    response_status, response_headers, response_body`;

const RETURNED_COLUMNS_956A076 = `id, merchant_id, key, request_method, request_path, request_hash, request_body, request_id, status,
    resource_id, fencing_token, attempts, coalesce(lease_expires_at > now(), false) AS lease_active,
    response_status, response_headers, response_body`;

const CLAIM_VALUES = (key: string) => `VALUES (
      :merchant, ${key}, 'POST', '/payments', :fingerprint, :request_json::jsonb, :n::text, 'processing',
      now() + make_interval(secs => 30000::double precision / 1000), now() + make_interval(secs => 86400)
    )`;

/** The claim as of 956a076: INSERT ... ON CONFLICT DO UPDATE, which locks an existing row, plus a read of a row it did not take. */
const claim956a076 = (key: string) => `WITH claimed AS (
    INSERT INTO idempotency_keys AS k (
      merchant_id, key, request_method, request_path, request_hash, request_body, request_id,
      status, lease_expires_at, expires_at
    )
    ${CLAIM_VALUES(key)}
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
    RETURNING ${RETURNED_COLUMNS_956A076}
  )
  SELECT *, true AS owned FROM claimed
  UNION ALL
  SELECT ${RETURNED_COLUMNS_956A076}, false AS owned
  FROM idempotency_keys
  WHERE merchant_id = :merchant AND key = ${key} AND NOT EXISTS (SELECT 1 FROM claimed)
\\gset`;

/** The service's claim: ON CONFLICT DO NOTHING, which reads an existing key without locking it. */
const claim = (key: string) => `WITH claimed AS (
    INSERT INTO idempotency_keys (
      merchant_id, key, request_method, request_path, request_hash, request_body, request_id,
      status, lease_expires_at, expires_at
    )
    ${CLAIM_VALUES(key)}
    ON CONFLICT (merchant_id, key) DO NOTHING
    RETURNING ${RETURNED_COLUMNS}
  )
  SELECT *, true AS owned FROM claimed
  UNION ALL
  SELECT ${RETURNED_COLUMNS}, false AS owned
  FROM idempotency_keys
  WHERE merchant_id = :merchant AND key = ${key} AND NOT EXISTS (SELECT 1 FROM claimed)
\\gset`;

const START_TRANSACTION = 'START TRANSACTION;';

// The service sends the claim's resource id as the payment id; without a claim, the id is new.
const INSERT_CLAIMED_PAYMENT = `INSERT INTO "payments"("id", "merchant_id", "amount", "currency", "status", "description", "metadata", "gateway_charge_id", "decline_code", "created_at", "updated_at") VALUES (:resource_id, :merchant, 2500, 'USD', 'pending', NULL, '{}', NULL, NULL, DEFAULT, DEFAULT) RETURNING "metadata", "created_at", "updated_at";`;
const INSERT_NEW_PAYMENT = `INSERT INTO "payments"("id", "merchant_id", "amount", "currency", "status", "description", "metadata", "gateway_charge_id", "decline_code", "created_at", "updated_at") VALUES (gen_random_uuid(), :merchant, 2500, 'USD', 'pending', NULL, '{}', NULL, NULL, DEFAULT, DEFAULT) RETURNING "id" AS resource_id, "metadata", "created_at", "updated_at"
\\gset`;

const RECORD_CHARGE = `WITH recorded AS (
    UPDATE payments SET status = 'succeeded', gateway_charge_id = :charge_id, decline_code = NULL, updated_at = clock_timestamp()
    WHERE id = :resource_id
    RETURNING updated_at
  )
  SELECT updated_at FROM recorded;`;

const COMPLETION_UPDATE = `UPDATE idempotency_keys
    SET status = 'completed', response_status = 201, response_headers = :stored_headers::jsonb, response_body = :stored_body,
        request_body = NULL, lease_expires_at = NULL, updated_at = now(),
        expires_at = now() + make_interval(secs => 86400)
    WHERE id = :id AND fencing_token = :fencing_token AND status = 'processing'`;

/** The service's completion: it notifies only when a duplicate registered as a waiter, and none does here. */
const COMPLETE = `WITH completed AS (
    ${COMPLETION_UPDATE}
    RETURNING id, has_waiters
  )
  SELECT id, CASE WHEN has_waiters THEN pg_notify('idempotency_key_changed', id::text) END FROM completed;`;

/** The completion as of 956a076, with a NOTIFY on every completion. */
const COMPLETE_956A076 = `WITH completed AS (
    ${COMPLETION_UPDATE}
    RETURNING id
  )
  SELECT pg_notify('idempotency_key_changed', id::text) FROM completed;`;

const COMMIT = 'COMMIT;';

export interface PgbenchScript {
  name: string;
  description: string;
  text: string;
  /** pgbench -M: extended sends unnamed statements like node-postgres; prepared reuses named ones. */
  protocol: 'extended' | 'prepared';
  /** Session settings for every client, as PGOPTIONS. */
  options?: string;
}

const lines = (...statements: string[]) => `${statements.join('\n')}\n`;

const SERVICE_CREATE = lines(NEW_KEY_NUMBER, MERCHANT_LOOKUP, claim(NEW_KEY), START_TRANSACTION, INSERT_CLAIMED_PAYMENT, RECORD_CHARGE, COMPLETE, COMMIT);

export const PGBENCH_SCRIPTS: PgbenchScript[] = [
  {
    name: 'payment',
    description: 'payment transaction without a claim (what IDEMPOTENCY_ENABLED=false sends)',
    protocol: 'extended',
    text: lines(NEW_KEY_NUMBER, MERCHANT_LOOKUP, START_TRANSACTION, INSERT_NEW_PAYMENT, RECORD_CHARGE, COMMIT),
  },
  {
    name: 'claim+payment',
    description: 'claim, then the payment transaction with the completion (the service)',
    protocol: 'extended',
    text: SERVICE_CREATE,
  },
  {
    name: 'claim+payment, as of 956a076',
    description: 'the same with the claim and completion of 956a076: DO UPDATE claim, NOTIFY on every completion',
    protocol: 'extended',
    text: lines(NEW_KEY_NUMBER, MERCHANT_LOOKUP, claim956a076(NEW_KEY), START_TRANSACTION, INSERT_CLAIMED_PAYMENT, RECORD_CHARGE, COMPLETE_956A076, COMMIT),
  },
  {
    name: 'claim+payment, prepared',
    description: 'proposal: named prepared statements, parsed and planned once per connection',
    protocol: 'prepared',
    text: SERVICE_CREATE,
  },
  {
    name: 'claim+payment, async claim commit',
    description: 'synchronous_commit=off for the claim only; NOT safe, see BENCHMARKS.md',
    protocol: 'extended',
    options: '-c synchronous_commit=off',
    text: lines(
      NEW_KEY_NUMBER,
      MERCHANT_LOOKUP,
      claim(NEW_KEY),
      START_TRANSACTION,
      'SET LOCAL synchronous_commit = on;',
      INSERT_CLAIMED_PAYMENT,
      RECORD_CHARGE,
      COMPLETE,
      COMMIT,
    ),
  },
  {
    name: 'replay',
    description: 'a repeat of a completed key: merchant lookup and claim (the service)',
    protocol: 'extended',
    text: lines(NEW_KEY_NUMBER, '\\set r random(1, :replay_keys)', MERCHANT_LOOKUP, claim(REPLAY_KEY)),
  },
  {
    name: 'replay, as of 956a076',
    description: 'the same with the DO UPDATE claim of 956a076, which locks the row and waits for a WAL flush',
    protocol: 'extended',
    text: lines(NEW_KEY_NUMBER, '\\set r random(1, :replay_keys)', MERCHANT_LOOKUP, claim956a076(REPLAY_KEY)),
  },
];
