import type { DataSourceOptions } from 'typeorm';
import { CreateMerchantsAndPayments1764878400000 } from '../../migrations/1764878400000-create-merchants-and-payments';
import { CreateIdempotencyKeys1764878500000 } from '../../migrations/1764878500000-create-idempotency-keys';
import { Merchant } from '../merchants/merchant.entity';
import { Payment } from '../payments/payment.entity';

export const entities = [Merchant, Payment];

export const migrations = [CreateMerchantsAndPayments1764878400000, CreateIdempotencyKeys1764878500000];

export interface SessionLimits {
  /** Maximum wait for a row or transaction lock before the statement fails. */
  lockTimeoutMs: number;
  /** Maximum idle time inside a transaction before the server ends the session and its locks. */
  idleInTransactionTimeoutMs: number;
  /** Maximum wait for a free pooled connection. */
  poolWaitMs: number;
}

/** Builds the one DataSource configuration, shared by the app, the migration CLI and the merchant CLI. */
export function buildDataSourceOptions(url: string, poolSize = 10, limits?: SessionLimits): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTransactionMode: 'each',
    synchronize: false,
    extra: {
      max: poolSize,
      connectionTimeoutMillis: limits?.poolWaitMs ?? 5000,
      application_name: 'payments-api',
      ...(limits && {
        options: `-c lock_timeout=${limits.lockTimeoutMs} -c idle_in_transaction_session_timeout=${limits.idleInTransactionTimeoutMs}`,
      }),
    },
  };
}
