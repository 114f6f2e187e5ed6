import { randomBytes } from 'node:crypto';

export type ChargeStatus = 'succeeded' | 'declined';

/** Validated fields of a charge request. The idempotency check compares all of them. */
export interface ChargeParams {
  /** Amount in the currency's minor unit (cents for USD). */
  amount: number;
  /** ISO 4217 code in upper case, such as "USD". */
  currency: string;
  /** Test token that selects the outcome, such as "tok_visa". */
  source: string;
  description: string | null;
}

/** Charge as stored in the ledger and sent to clients. It never contains card data. */
export interface Charge {
  id: string;
  object: 'charge';
  idempotencyKey: string;
  amount: number;
  currency: string;
  source: string;
  status: ChargeStatus;
  declineCode: string | null;
  description: string | null;
  /** ISO 8601 timestamp in UTC. */
  createdAt: string;
}

export function sameChargeParams(a: ChargeParams, b: ChargeParams): boolean {
  return (
    a.amount === b.amount &&
    a.currency === b.currency &&
    a.source === b.source &&
    a.description === b.description
  );
}

/** Generates a charge id such as "ch_3f9c0a…" with 96 random bits. */
export function newChargeId(): string {
  return `ch_${randomBytes(12).toString('hex')}`;
}
