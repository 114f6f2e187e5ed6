import type { ExistingKey } from './idempotency-key.record';

export type KeyDecision =
  | { action: 'replay' }
  | { action: 'mismatch' }
  | { action: 'wait' }
  /** The owner's lease has ended, or the completed key has expired: take the key over. */
  | { action: 'take_over' };

/**
 * Decides what a request does with a key that another worker owns or has completed.
 * An expired completed key is free for any request. Otherwise a different request under
 * the same key is a mismatch, whatever the key's state.
 */
export function decideOnExistingKey(existing: ExistingKey, requestHash: Buffer): KeyDecision {
  if (existing.status === 'completed' && existing.expired) {
    return { action: 'take_over' };
  }
  if (!existing.requestHash.equals(requestHash)) {
    return { action: 'mismatch' };
  }
  if (existing.status === 'completed') {
    return { action: 'replay' };
  }
  return existing.leaseActive ? { action: 'wait' } : { action: 'take_over' };
}
