export interface ChargeRequest {
  /** Minor units of `currency`. */
  amount: number;
  currency: string;
  /** Card token, for example `tok_visa`. Never logged. */
  source: string;
  description: string | null;
}

export interface ChargeResult {
  chargeId: string;
  status: 'succeeded' | 'declined';
  declineCode: string | null;
}

/**
 * A card processor. `idempotencyKey` must stay the same for every attempt of one
 * payment, so that a retry returns the original charge instead of making a second.
 * Implementations throw the errors in gateway.errors.ts.
 */
export abstract class CardGateway {
  abstract charge(request: ChargeRequest, idempotencyKey: string): Promise<ChargeResult>;
}
