import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { generateApiKey, hashApiKey } from '../../src/merchants/api-key';
import { required } from './app-process';

let pool: Pool | undefined;

/** Returns a small pool on the e2e database, for arranging data and checking invariants. */
export function db(): Pool {
  pool ??= new Pool({ connectionString: required('E2E_DATABASE_URL'), max: 4 });
  return pool;
}

export async function closeDb(): Promise<void> {
  await pool?.end();
  pool = undefined;
}

export interface TestMerchant {
  id: string;
  apiKey: string;
  auth: { Authorization: string };
}

/** Creates a merchant of its own for each test, so tests never see each other's payments. */
export async function createMerchant(): Promise<TestMerchant> {
  const apiKey = generateApiKey();
  const { rows } = await db().query<{ id: string }>(
    'INSERT INTO merchants (name, api_key_sha256) VALUES ($1, $2) RETURNING id',
    [`Test merchant ${randomUUID()}`, hashApiKey(apiKey)],
  );
  return { id: rows[0].id, apiKey, auth: { Authorization: `Bearer ${apiKey}` } };
}

export interface LedgerCharge {
  id: string;
  idempotencyKey: string;
  amount: number;
  currency: string;
  status: string;
  description: string | null;
}

/** Charges the mock gateway recorded, optionally for one downstream idempotency key. */
export async function gatewayCharges(idempotencyKey?: string): Promise<LedgerCharge[]> {
  const query = idempotencyKey ? `?idempotencyKey=${encodeURIComponent(idempotencyKey)}` : '';
  const response = await fetch(`${required('E2E_GATEWAY_URL')}/v1/charges${query}`);
  return ((await response.json()) as { data: LedgerCharge[] }).data;
}

export async function paymentsOf(merchantId: string) {
  const { rows } = await db().query<{ id: string; status: string; amount: string; gateway_charge_id: string | null }>(
    'SELECT id, status, amount, gateway_charge_id FROM payments WHERE merchant_id = $1 ORDER BY created_at',
    [merchantId],
  );
  return rows;
}

export interface KeyRow {
  id: string;
  key: string;
  status: string;
  resource_id: string;
  fencing_token: string;
  attempts: number;
  request_hash: Buffer;
  request_body: unknown;
  response_status: number | null;
  response_body: Buffer | null;
  updated_at: Date;
}

export async function keyRowsOf(merchantId: string): Promise<KeyRow[]> {
  const { rows } = await db().query<KeyRow>('SELECT * FROM idempotency_keys WHERE merchant_id = $1 ORDER BY created_at', [merchantId]);
  return rows;
}

/**
 * Asserts the invariant the service exists for: for each key of the merchant, at most
 * one payment and at most one gateway charge. The payment id is the key's resource id
 * and the gateway's idempotency key, which ties the three together.
 */
export async function expectAtMostOncePerKey(merchantId: string): Promise<void> {
  const payments = await paymentsOf(merchantId);
  const paymentIds = new Set(payments.map((payment) => payment.id));
  expect(paymentIds.size).toBe(payments.length);
  const charges = await gatewayCharges();
  for (const payment of payments) {
    expect(charges.filter((charge) => charge.idempotencyKey === payment.id).length).toBeLessThanOrEqual(1);
  }
  for (const key of await keyRowsOf(merchantId)) {
    expect(charges.filter((charge) => charge.idempotencyKey === key.resource_id).length).toBeLessThanOrEqual(1);
  }
}

export const validPayment = (overrides: Record<string, unknown> = {}) => ({
  amount: 2500,
  currency: 'USD',
  source: 'tok_visa',
  description: 'Order 1042',
  ...overrides,
});
