import { ProblemException } from '../common/problem/problem.exception';

export function invalidKeyError(reason: string): ProblemException {
  return new ProblemException({
    status: 400,
    code: 'idempotency_key_invalid',
    title: 'Invalid Idempotency-Key',
    detail: reason,
  });
}

export function keyReusedError(): ProblemException {
  return new ProblemException({
    status: 422,
    code: 'idempotency_key_reused',
    title: 'Idempotency-Key reused',
    detail:
      'This Idempotency-Key was already used for a different request (another body or route). Use a new key for a new request.',
  });
}

export function keyInUseError(retryAfterSeconds: number): ProblemException {
  return new ProblemException({
    status: 409,
    code: 'idempotency_key_in_use',
    title: 'Request in progress',
    detail: `A request with this Idempotency-Key is still in progress. Retry after ${retryAfterSeconds} s with the same key to get its result.`,
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
}

/** Thrown inside the payment transaction when another worker took the key over; the transaction rolls back. */
export class LeaseLostError extends Error {
  constructor(keyId: string) {
    super(`Lost the lease on idempotency key ${keyId} to another worker`);
  }
}
