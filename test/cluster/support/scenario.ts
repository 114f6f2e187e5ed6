import { randomUUID } from 'node:crypto';
import { createMerchant, db, expectAtMostOncePerKey, gatewayCharges, keyRowsOf, type TestMerchant } from '../../support/fixtures';
import { paymentBody, type PaymentAttempt, type PaymentRequest } from './payment-client';

interface KeyRecord {
  description: string;
  attempts: PaymentAttempt[];
}

/**
 * One test's merchant and every payment attempt it made, grouped by idempotency key. Each key
 * gets a unique description, which the payment row and the gateway charge both store, so the
 * invariant check can count a key's payments and charges even if the key row were replaced.
 */
export class Scenario {
  private readonly keys = new Map<string, KeyRecord>();

  constructor(
    readonly label: string,
    readonly merchant: TestMerchant,
  ) {}

  /** Makes a new idempotency key with its own description. */
  newKey(): string {
    const key = `${this.label}-${randomUUID()}`;
    this.keys.set(key, { description: `cluster ${key}`, attempts: [] });
    return key;
  }

  description(key: string): string {
    return this.record(key).description;
  }

  /** Builds a request for `key` with the key's description and the card token `source`. */
  request(baseUrl: string, key: string, source: string, timeoutMs?: number): PaymentRequest {
    return {
      baseUrl,
      apiKey: this.merchant.apiKey,
      key,
      body: paymentBody(this.description(key), source),
      timeoutMs,
    };
  }

  /** Adds attempts whose responses the invariant check compares. */
  recordAttempts(key: string, ...attempts: PaymentAttempt[]): void {
    this.record(key).attempts.push(...attempts);
  }

  attempts(key: string): PaymentAttempt[] {
    return [...this.record(key).attempts];
  }

  entries(): [string, KeyRecord][] {
    return [...this.keys.entries()];
  }

  private record(key: string): KeyRecord {
    const record = this.keys.get(key);
    if (!record) {
      throw new Error(`Unknown key ${key}: create it with newKey()`);
    }
    return record;
  }
}

export async function startScenario(label: string): Promise<Scenario> {
  return new Scenario(label, await createMerchant());
}

interface PaymentRow {
  id: string;
  status: string;
  description: string | null;
}

/** Counts the gateway charges that carry `description`. */
export async function chargesWithDescription(description: string): Promise<number> {
  return (await gatewayCharges()).filter((charge) => charge.description === description).length;
}

export async function paymentsWithDescription(merchantId: string, description: string): Promise<PaymentRow[]> {
  const { rows } = await db().query<PaymentRow>(
    'SELECT id, status, description FROM payments WHERE merchant_id = $1 AND description = $2',
    [merchantId, description],
  );
  return rows;
}

/**
 * Checks the service's invariant for every key of the scenario against the database and the
 * gateway ledger. Each key has at most one payment and one charge. All 201 and 402 responses of
 * a key name the same payment id, and that id is the key row's resource id. Every 201 has a
 * succeeded payment row.
 */
export async function expectInvariant(scenario: Scenario): Promise<void> {
  const merchantId = scenario.merchant.id;
  await expectAtMostOncePerKey(merchantId);

  const { rows: payments } = await db().query<PaymentRow>(
    'SELECT id, status, description FROM payments WHERE merchant_id = $1',
    [merchantId],
  );
  const keyRows = new Map((await keyRowsOf(merchantId)).map((row) => [row.key, row]));
  const charges = await gatewayCharges();

  const keysWithSeveralPaymentIds: unknown[] = [];
  const keysWithSeveralPayments: unknown[] = [];
  const keysWithSeveralCharges: unknown[] = [];
  const createdPaymentsMissing: unknown[] = [];
  const paymentIdsNotMatchingKeyRow: unknown[] = [];

  for (const [key, { description, attempts }] of scenario.entries()) {
    const paymentIds = [...new Set(attempts.map((attempt) => attempt.paymentId).filter((id) => id !== undefined))];
    if (paymentIds.length > 1) {
      keysWithSeveralPaymentIds.push({ key, paymentIds });
    }

    const keyPayments = payments.filter((payment) => payment.description === description);
    if (keyPayments.length > 1) {
      keysWithSeveralPayments.push({ key, payments: keyPayments });
    }
    const keyCharges = charges.filter((charge) => charge.description === description);
    if (keyCharges.length > 1) {
      keysWithSeveralCharges.push({ key, charges: keyCharges.map((charge) => charge.idempotencyKey) });
    }

    const created = attempts.find((attempt) => attempt.status === 201);
    if (created) {
      const row = payments.find((payment) => payment.id === created.paymentId);
      if (row?.status !== 'succeeded') {
        createdPaymentsMissing.push({ key, paymentId: created.paymentId, row });
      }
    }
    const resourceId = keyRows.get(key)?.resource_id;
    if (paymentIds.length > 0 && paymentIds[0] !== resourceId) {
      paymentIdsNotMatchingKeyRow.push({ key, paymentIds, resourceId });
    }
  }

  expect(keysWithSeveralPaymentIds).toEqual([]);
  expect(keysWithSeveralPayments).toEqual([]);
  expect(keysWithSeveralCharges).toEqual([]);
  expect(createdPaymentsMissing).toEqual([]);
  expect(paymentIdsNotMatchingKeyRow).toEqual([]);
}

/** Polls `check` every `intervalMs` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function eventually<T>(
  condition: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() >= deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${condition}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
