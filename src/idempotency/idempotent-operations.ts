import { Injectable } from '@nestjs/common';
import type { ClaimedKey, StoredResponse } from './idempotency-key.record';

/** Re-runs a stored request without its HTTP connection; throws like the route handler does. */
export type IdempotentOperation = (key: ClaimedKey) => Promise<StoredResponse>;

/**
 * Operations the recovery worker can re-run for abandoned keys, by method and route.
 * A module that puts @Idempotent() on a route registers the same work here.
 */
@Injectable()
export class IdempotentOperations {
  private readonly operations = new Map<string, IdempotentOperation>();

  register(method: string, path: string, operation: IdempotentOperation): void {
    this.operations.set(`${method.toUpperCase()} ${path}`, operation);
  }

  find(method: string, path: string): IdempotentOperation | undefined {
    return this.operations.get(`${method.toUpperCase()} ${path}`);
  }
}
