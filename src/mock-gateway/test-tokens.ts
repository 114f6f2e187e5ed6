/** Simulated processor behaviour selected by a test token. */
export type TokenOutcome =
  | { kind: 'succeed' }
  | { kind: 'decline'; declineCode: 'card_declined' | 'insufficient_funds' }
  /** Records the charge at once but replies only after the configured delay. */
  | { kind: 'succeed_slowly' }
  /** Records a succeeded charge and never replies to the first request for a key. */
  | { kind: 'lose_reply' }
  /**
   * Replies 500 without a charge to the first request for a key, and a retry succeeds.
   * Stripe's v1 API instead saves the 500 and replays it for the key.
   */
  | { kind: 'fail_once' };

const TEST_TOKENS: ReadonlyMap<string, TokenOutcome> = new Map<string, TokenOutcome>([
  ['tok_visa', { kind: 'succeed' }],
  ['tok_declined', { kind: 'decline', declineCode: 'card_declined' }],
  ['tok_insufficient_funds', { kind: 'decline', declineCode: 'insufficient_funds' }],
  ['tok_slow', { kind: 'succeed_slowly' }],
  ['tok_timeout', { kind: 'lose_reply' }],
  ['tok_error', { kind: 'fail_once' }],
]);

export const TEST_TOKEN_NAMES: readonly string[] = [...TEST_TOKENS.keys()];

/** Returns the outcome for a test token, or undefined when the token is unknown. */
export function outcomeForToken(source: string): TokenOutcome | undefined {
  return TEST_TOKENS.get(source);
}
