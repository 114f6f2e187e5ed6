import type { Logger } from 'pino';

import { type Charge, type ChargeParams, newChargeId, sameChargeParams } from './charge';
import { type ErrorReply, apiError, invalidRequest } from './gateway-error';
import { TEST_TOKEN_NAMES, outcomeForToken } from './test-tokens';

/** Reply for a charge that exists: 201 when it succeeded, 402 when it was declined. */
export interface ChargeReply {
  statusCode: 201 | 402;
  charge: Charge;
}

/** Result of `ChargeLedger.submit`. */
export type SubmitResult =
  /** `replayed` is true when the charge was made by an earlier request with the same key. */
  | { kind: 'charge'; reply: ChargeReply; replayed: boolean }
  | { kind: 'error'; reply: ErrorReply }
  /** The charge was recorded but the caller must not reply, which simulates a lost response. */
  | { kind: 'no_reply'; charge: Charge };

/** Raised to requests still waiting on a slow charge when the ledger closes. */
export class LedgerClosedError extends Error {
  constructor() {
    super('The mock gateway closed before the charge reply was ready.');
    this.name = 'LedgerClosedError';
  }
}

/** State of one idempotency key. A key is bound to its first params for good. */
type KeyRecord =
  /** A `tok_error` request got a 500 and no charge was made. */
  | { state: 'failed'; params: ChargeParams }
  /** `reply` resolves once the reply may be sent, after the delay for `tok_slow`. */
  | { state: 'charged'; params: ChargeParams; reply: Promise<ChargeReply> };

interface PendingDelay {
  timer: NodeJS.Timeout;
  reject: (error: Error) => void;
}

export interface ChargeLedgerOptions {
  /** Delay in milliseconds before a `tok_slow` charge replies. */
  slowMs: number;
  logger: Logger;
}

/**
 * In-memory store of charges and idempotency keys.
 *
 * Requests with the same key get the first request's result, as with Stripe. `submit` checks
 * and records the key without awaiting in between, so concurrent requests with one key in this
 * process make at most one charge. Requests that fail validation bind no key.
 */
export class ChargeLedger {
  private readonly charges: Charge[] = [];
  private readonly keys = new Map<string, KeyRecord>();
  private readonly pendingDelays = new Set<PendingDelay>();
  private closed = false;

  constructor(private readonly options: ChargeLedgerOptions) {}

  /** Lists charges oldest first, optionally only those made with one idempotency key. */
  list(filter: { idempotencyKey?: string } = {}): Charge[] {
    const { idempotencyKey } = filter;
    if (idempotencyKey === undefined) {
      return [...this.charges];
    }
    return this.charges.filter((charge) => charge.idempotencyKey === idempotencyKey);
  }

  /** Charges `params` once per key, or returns the result of the first request with that key. */
  async submit(idempotencyKey: string, params: ChargeParams): Promise<SubmitResult> {
    const record = this.keys.get(idempotencyKey);

    if (record && !sameChargeParams(record.params, params)) {
      const message =
        `Idempotency-Key "${idempotencyKey}" was already used with different parameters. ` +
        'Send a new key for a new charge.';
      return { kind: 'error', reply: invalidRequest(400, 'idempotency_key_reused', message) };
    }

    if (record?.state === 'charged') {
      return { kind: 'charge', reply: await record.reply, replayed: true };
    }

    const outcome = outcomeForToken(params.source);
    if (!outcome) {
      const message = `Unknown source token. Use one of: ${TEST_TOKEN_NAMES.join(', ')}.`;
      return { kind: 'error', reply: invalidRequest(400, 'invalid_source', message) };
    }

    // A retry after a simulated 500 finds a "failed" record and charges normally.
    if (outcome.kind === 'fail_once' && !record) {
      this.keys.set(idempotencyKey, { state: 'failed', params });
      this.options.logger.warn({ idempotencyKey }, 'simulated processor error, no charge made');
      const reply = apiError('The card processor failed. Retry with the same Idempotency-Key.');
      return { kind: 'error', reply };
    }

    const declineCode = outcome.kind === 'decline' ? outcome.declineCode : null;
    const charge = this.recordCharge(idempotencyKey, params, declineCode);
    const reply: ChargeReply = { statusCode: declineCode ? 402 : 201, charge };

    const ready =
      outcome.kind === 'succeed_slowly'
        ? this.delay(this.options.slowMs).then(() => reply)
        : Promise.resolve(reply);
    // Marks a rejection from close() as handled, because no request may be waiting on `ready` then.
    ready.catch(() => undefined);
    this.keys.set(idempotencyKey, { state: 'charged', params, reply: ready });

    if (outcome.kind === 'lose_reply') {
      this.options.logger.info(
        { chargeId: charge.id, idempotencyKey },
        'withholding reply to simulate a lost response',
      );
      return { kind: 'no_reply', charge };
    }
    return { kind: 'charge', reply: await ready, replayed: false };
  }

  /** Cancels pending `tok_slow` delays and rejects their waiters with LedgerClosedError. */
  close(): void {
    this.closed = true;
    for (const pending of this.pendingDelays) {
      clearTimeout(pending.timer);
      pending.reject(new LedgerClosedError());
    }
    this.pendingDelays.clear();
  }

  private recordCharge(idempotencyKey: string, params: ChargeParams, declineCode: string | null): Charge {
    const charge: Charge = {
      id: newChargeId(),
      object: 'charge',
      idempotencyKey,
      amount: params.amount,
      currency: params.currency,
      source: params.source,
      status: declineCode ? 'declined' : 'succeeded',
      declineCode,
      description: params.description,
      createdAt: new Date().toISOString(),
    };
    this.charges.push(charge);

    // The source token stays out of logs, like a card number would.
    this.options.logger.info(
      {
        chargeId: charge.id,
        idempotencyKey,
        amount: charge.amount,
        currency: charge.currency,
        status: charge.status,
        declineCode,
      },
      'charge created',
    );
    return charge;
  }

  private delay(ms: number): Promise<void> {
    if (this.closed) {
      return Promise.reject(new LedgerClosedError());
    }
    return new Promise((resolve, reject) => {
      const pending: PendingDelay = {
        timer: setTimeout(() => {
          this.pendingDelays.delete(pending);
          resolve();
        }, ms),
        reject,
      };
      this.pendingDelays.add(pending);
    });
  }
}
