import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateIdempotencyKeys1764878500000 implements MigrationInterface {
  name = 'CreateIdempotencyKeys1764878500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE idempotency_keys (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        merchant_id uuid NOT NULL,
        key varchar(255) NOT NULL,
        request_method varchar(10) NOT NULL,
        request_path varchar(255) NOT NULL,
        request_hash bytea NOT NULL,
        request_body jsonb,
        request_id varchar(200),
        status varchar(16) NOT NULL,
        resource_id uuid NOT NULL DEFAULT gen_random_uuid(),
        fencing_token bigint NOT NULL DEFAULT 1,
        lease_expires_at timestamptz,
        has_waiters boolean NOT NULL DEFAULT false,
        attempts integer NOT NULL DEFAULT 1,
        response_status smallint,
        response_headers jsonb,
        response_body bytea,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        CONSTRAINT pk_idempotency_keys PRIMARY KEY (id),
        CONSTRAINT uq_idempotency_keys_merchant_key UNIQUE (merchant_id, key),
        CONSTRAINT fk_idempotency_keys_merchant FOREIGN KEY (merchant_id) REFERENCES merchants (id),
        CONSTRAINT ck_idempotency_keys_status CHECK (status IN ('processing', 'completed')),
        CONSTRAINT ck_idempotency_keys_hash_length CHECK (octet_length(request_hash) = 32),
        CONSTRAINT ck_idempotency_keys_processing_lease CHECK (status <> 'processing' OR lease_expires_at IS NOT NULL),
        CONSTRAINT ck_idempotency_keys_completed_response CHECK (
          status <> 'completed' OR (response_status IS NOT NULL AND response_body IS NOT NULL)
        )
      )
    `);
    // The cleanup job deletes completed keys in expiry order, in bounded batches.
    await queryRunner.query(
      `CREATE INDEX ix_idempotency_keys_completed_expiry ON idempotency_keys (expires_at) WHERE status = 'completed'`,
    );
    // The recovery worker scans only keys in flight, which stay few however large the table grows.
    await queryRunner.query(
      `CREATE INDEX ix_idempotency_keys_processing_lease ON idempotency_keys (lease_expires_at) WHERE status = 'processing'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE idempotency_keys`);
  }
}
