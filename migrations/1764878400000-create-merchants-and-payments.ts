import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateMerchantsAndPayments1764878400000 implements MigrationInterface {
  name = 'CreateMerchantsAndPayments1764878400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE merchants (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        name varchar(200) NOT NULL,
        api_key_sha256 bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_merchants PRIMARY KEY (id),
        CONSTRAINT uq_merchants_api_key_sha256 UNIQUE (api_key_sha256),
        CONSTRAINT ck_merchants_api_key_sha256_length CHECK (octet_length(api_key_sha256) = 32)
      )
    `);
    await queryRunner.query(`
      CREATE TABLE payments (
        id uuid NOT NULL,
        merchant_id uuid NOT NULL,
        amount bigint NOT NULL,
        currency char(3) NOT NULL,
        status varchar(16) NOT NULL,
        description varchar(500),
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        gateway_charge_id varchar(255),
        decline_code varchar(100),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_payments PRIMARY KEY (id),
        CONSTRAINT fk_payments_merchant FOREIGN KEY (merchant_id) REFERENCES merchants (id),
        CONSTRAINT ck_payments_amount CHECK (amount BETWEEN 1 AND 99999999),
        CONSTRAINT ck_payments_currency CHECK (currency ~ '^[A-Z]{3}$'),
        CONSTRAINT ck_payments_status CHECK (status IN ('pending', 'succeeded', 'declined'))
      )
    `);
    // Serves GET /payments: newest first within one merchant, with (created_at, id) as the cursor.
    await queryRunner.query(
      `CREATE INDEX ix_payments_merchant_created ON payments (merchant_id, created_at DESC, id DESC)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE payments`);
    await queryRunner.query(`DROP TABLE merchants`);
  }
}
