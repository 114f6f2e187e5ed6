import type { ExistingKey } from './idempotency-key.record';

export type KeyDecision =
  | { action: 'replay' }
  | { action: 'mismatch' }
  | { action: 'wait' }
  /** The owner's lease has ended but the row was not claimable for this request: claim again. */
  | { action: 'retry_claim' };

/**
 * Decides what a request does with a key that another worker owns or has completed.
 * A different request under the same key is always a mismatch, whatever the key's state.
 */
export function decideOnExistingKey(existing: ExistingKey, requestHash: Buffer): KeyDecision {
  if (!existing.requestHash.equals(requestHash)) {
    return { action: 'mismatch' };
  }
  if (existing.status === 'completed') {
    return existing.response ? { action: 'replay' } : { action: 'retry_claim' };
  }
  return existing.leaseActive ? { action: 'wait' } : { action: 'retry_claim' };
}
