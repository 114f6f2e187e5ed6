import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { Agent } from 'undici';
import { postPayment } from './load';
import { createMerchant } from './postgres';

export const STORM_REQUESTS = 200;
export const STORM_KEYS = 10;

export interface StormResult {
  requests: number;
  keys: number;
  /** Count of responses by HTTP status; 0 counts requests that got no response. */
  statuses: Record<string, number>;
  replayed: number;
  /** Payments the database holds for the storm's merchant. */
  payments: number;
  /** Charges the mock gateway recorded during the storm. */
  charges: number;
  /** Payments beyond one per key: each is a customer charged twice. */
  duplicatePayments: number;
  duplicateCharges: number;
  ms: number;
}

/**
 * Sends STORM_REQUESTS identical POST /payments at once, spread evenly over STORM_KEYS
 * keys, from a merchant of its own. Counts the payments in the database and the charges
 * at the gateway, whose ledger is read before and after.
 */
export async function runStorm(url: string, pool: Pool, gatewayUrl: string, label: string): Promise<StormResult> {
  const merchant = await createMerchant(pool, `Storm ${label}`);
  const keys = Array.from({ length: STORM_KEYS }, () => randomUUID());
  const chargesBefore = await countCharges(gatewayUrl);
  const dispatcher = new Agent({ connections: STORM_REQUESTS });
  const started = performance.now();
  let outcomes;
  try {
    outcomes = await Promise.all(
      Array.from({ length: STORM_REQUESTS }, (_, index) =>
        postPayment(dispatcher, url, merchant.apiKey, keys[index % STORM_KEYS]).catch(() => ({ status: 0, replayed: false })),
      ),
    );
  } finally {
    await dispatcher.close();
  }
  const ms = performance.now() - started;

  const statuses: Record<string, number> = {};
  for (const { status } of outcomes) {
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
  const { rows } = await pool.query<{ count: number }>('SELECT count(*)::int AS count FROM payments WHERE merchant_id = $1', [merchant.id]);
  const payments = rows[0].count;
  const charges = (await countCharges(gatewayUrl)) - chargesBefore;
  return {
    requests: STORM_REQUESTS,
    keys: STORM_KEYS,
    statuses,
    replayed: outcomes.filter((outcome) => outcome.replayed).length,
    payments,
    charges,
    duplicatePayments: Math.max(0, payments - STORM_KEYS),
    duplicateCharges: Math.max(0, charges - STORM_KEYS),
    ms,
  };
}

async function countCharges(gatewayUrl: string): Promise<number> {
  const response = await fetch(`${gatewayUrl}/v1/charges`);
  if (!response.ok) {
    throw new Error(`GET ${gatewayUrl}/v1/charges returned ${response.status}`);
  }
  return ((await response.json()) as { data: unknown[] }).data.length;
}
