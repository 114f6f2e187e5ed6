import { Injectable } from '@nestjs/common';

export const KEY_DECISIONS = [
  'claimed',
  'replayed',
  'waited',
  'conflict',
  'mismatch',
  'taken_over',
  'recovered',
  'released',
  'abandoned',
  'lease_lost',
] as const;

export type KeyDecisionName = (typeof KEY_DECISIONS)[number];

/** Counts of idempotency decisions in this process, for a metrics endpoint to expose. */
@Injectable()
export class IdempotencyMetrics {
  private readonly counts = new Map<KeyDecisionName, number>(KEY_DECISIONS.map((name) => [name, 0]));

  increment(decision: KeyDecisionName): void {
    this.counts.set(decision, (this.counts.get(decision) ?? 0) + 1);
  }

  snapshot(): Record<KeyDecisionName, number> {
    return Object.fromEntries(this.counts) as Record<KeyDecisionName, number>;
  }
}
