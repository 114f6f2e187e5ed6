import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { PinoLogger } from 'nestjs-pino';
import { ProblemException } from '../common/problem/problem.exception';
import { AppConfig } from '../config/app-config';
import { IdempotencyContext } from './idempotency.context';
import { isLockNotAvailable, isUniqueViolation } from '../database/database-errors';
import { keyInUseError, LeaseLostError } from './idempotency.errors';
import type { ClaimedKey, StoredResponse } from './idempotency-key.record';
import { IdempotencyKeyRepository } from './idempotency-key.repository';
import { IdempotencyMetrics } from './idempotency-metrics';
import { storeProblem } from './stored-response';

/**
 * Runs the work behind a claimed key and settles the key. Shared by the HTTP
 * interceptor and the recovery worker, so a recovered request ends exactly as a
 * client's retry would.
 */
@Injectable()
export class KeyedExecution {
  private readonly ttlSeconds: number;

  constructor(
    config: AppConfig,
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly keys: IdempotencyKeyRepository,
    private readonly context: IdempotencyContext,
    private readonly metrics: IdempotencyMetrics,
    private readonly logger: PinoLogger,
  ) {
    this.ttlSeconds = config.get('IDEMPOTENCY_TTL');
    logger.setContext(KeyedExecution.name);
  }

  /**
   * Runs `operation` in one transaction with the completion of the key. The stored
   * response is written in that same transaction, guarded by the fencing token: so a
   * payment never commits without its stored response, and a worker whose key was taken
   * over rolls back instead of completing it a second time.
   *
   * @throws LeaseLostError when another worker took the key over meanwhile
   */
  execute(key: ClaimedKey, operation: () => Promise<StoredResponse>): Promise<StoredResponse> {
    const log = { keyId: key.id, fencingToken: key.fencingToken };
    return this.context.run(key, async () => {
      try {
        const response = await this.txHost.withTransaction(async () => {
          this.logger.debug(log, 'Transaction begin');
          const result = await this.finalResponse(operation, key);
          if (!(await this.keys.complete(key, result, this.ttlSeconds))) {
            throw new LeaseLostError(key.id);
          }
          return result;
        });
        this.logger.debug({ ...log, status: response.status }, 'Transaction commit');
        return response;
      } catch (error) {
        this.logger.debug(log, 'Transaction rollback');
        throw await this.settleFailure(key, error);
      }
    });
  }

  private async finalResponse(operation: () => Promise<StoredResponse>, key: ClaimedKey): Promise<StoredResponse> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof ProblemException && error.finalOutcome) {
        return storeProblem(error, key.requestId);
      }
      throw error;
    }
  }

  /**
   * Releases the key when nothing can have happened downstream, so a retry starts
   * afresh; keeps it recoverable when a charge may have been made. Returns the error
   * to raise.
   */
  private async settleFailure(key: ClaimedKey, error: unknown): Promise<unknown> {
    const log = { keyId: key.id, merchantId: key.merchantId, key: key.key };
    // Another attempt of this key committed the payment first: this one is stale.
    if (error instanceof LeaseLostError || isUniqueViolation(error)) {
      this.metrics.increment('lease_lost');
      this.logger.warn(log, 'Idempotency key lease lost to another worker; rolled back');
      return error instanceof LeaseLostError ? error : new LeaseLostError(key.id);
    }
    // A paused older attempt still locks the payment row. Ending the lease lets a
    // later retry try again as soon as that attempt has been fenced off or timed out.
    if (isLockNotAvailable(error)) {
      await this.keys.abandon(key).catch(() => undefined);
      this.metrics.increment('conflict');
      this.logger.warn(log, 'Idempotency key blocked: an older attempt still locks its payment row');
      return keyInUseError(1);
    }

    const definite = error instanceof ProblemException && !error.outcomeUnknown;
    const mayHaveSideEffect = this.context.sideEffectStarted() && !definite;
    try {
      const settled = mayHaveSideEffect ? await this.keys.abandon(key) : await this.keys.release(key);
      if (!settled) {
        // The fencing token moved on: another worker took the key over while this one failed.
        this.metrics.increment('lease_lost');
        this.logger.warn({ ...log, err: error }, 'Idempotency key taken over while this attempt failed');
        return new LeaseLostError(key.id);
      }
      if (mayHaveSideEffect) {
        this.metrics.increment('abandoned');
        this.logger.warn({ ...log, err: error }, 'Idempotency key kept for recovery: the outcome is unknown');
      } else {
        this.metrics.increment('released');
        this.logger.info(log, 'Idempotency key released: the request failed before any side effect');
      }
    } catch (settleError) {
      this.logger.error({ ...log, err: settleError }, 'Failed to settle the idempotency key; its lease will expire');
    }
    return error;
  }
}
