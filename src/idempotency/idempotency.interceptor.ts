import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response as ExpressResponse } from 'express';
import { PinoLogger } from 'nestjs-pino';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { AppConfig } from '../config/app-config';
import { isLockNotAvailable } from '../database/database-errors';
import { invalidKeyError, keyInUseError, keyReusedError, LeaseLostError } from './idempotency.errors';
import type { ClaimedKey, KeyedRequest, StoredResponse } from './idempotency-key.record';
import { parseIdempotencyKeyHeader } from './idempotency-key.header';
import { IdempotencyKeyRepository } from './idempotency-key.repository';
import { IdempotencyMetrics } from './idempotency-metrics';
import { decideOnExistingKey } from './key-decision';
import { KeyChangeListener } from './key-change-listener';
import { KeyedExecution } from './keyed-execution';
import { fingerprintRequest } from './request-fingerprint';
import { prepareStoredResponse, storeJsonResult } from './stored-response';

// Bounds the claim loop; each pass either waits, or follows a key that changed hands.
const MAX_CLAIM_ATTEMPTS = 100;
const RETRY_AFTER_SECONDS = 1;

/**
 * Guards a route with the Idempotency-Key header. The first request claims the key and
 * runs, a repeat replays the stored response, and a concurrent duplicate waits for the
 * original and replays it. It runs after the auth guard, so keys are scoped by merchant.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly enabled: boolean;
  private readonly waitMs: number;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly ttlSeconds: number;

  constructor(
    config: AppConfig,
    private readonly keys: IdempotencyKeyRepository,
    private readonly execution: KeyedExecution,
    private readonly listener: KeyChangeListener,
    private readonly metrics: IdempotencyMetrics,
    private readonly logger: PinoLogger,
  ) {
    const settings = config;
    this.enabled = settings.get('IDEMPOTENCY_ENABLED');
    this.waitMs = settings.get('IDEMPOTENCY_WAIT_MS');
    this.pollMs = settings.get('IDEMPOTENCY_POLL_MS');
    this.leaseMs = settings.get('IDEMPOTENCY_LEASE_MS');
    this.ttlSeconds = settings.get('IDEMPOTENCY_TTL');
    logger.setContext(IdempotencyInterceptor.name);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.enabled) {
      return next.handle();
    }
    const http = context.switchToHttp();
    // The fingerprint is taken here, before pipes or the handler can change the body.
    const request = this.describeRequest(http.getRequest<Request>());
    return from(this.respond(request, http.getResponse<ExpressResponse>(), next));
  }

  private describeRequest(req: Request): KeyedRequest {
    const header = parseIdempotencyKeyHeader(req.headersDistinct['idempotency-key']);
    if (!header.valid) {
      throw invalidKeyError(header.reason);
    }
    const path = String(req.route?.path ?? req.path);
    return {
      merchantId: req.merchant!.id,
      key: header.key,
      method: req.method,
      path,
      hash: fingerprintRequest(req.method, path, req.body),
      body: req.body ?? null,
      requestId: req.id ? String(req.id) : null,
    };
  }

  private async respond(request: KeyedRequest, res: ExpressResponse, next: CallHandler): Promise<string | Response> {
    const log = { merchantId: request.merchantId, key: request.key };
    const deadline = Date.now() + this.waitMs;
    let waitingOn: string | undefined;

    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      const claim = await this.unlessBlocked(() => this.keys.claim(request, this.leaseMs, this.ttlSeconds));
      if (!claim) {
        continue;
      }
      if (claim === 'blocked') {
        this.throwIfPastDeadline(deadline, log);
        continue;
      }

      let owned = claim.outcome === 'claimed' ? claim.key : undefined;
      if (claim.outcome === 'exists') {
        const { existing } = claim;
        const decision = decideOnExistingKey(existing, request.hash);
        if (decision.action === 'mismatch') {
          this.metrics.increment('mismatch');
          this.logger.info({ ...log, keyId: existing.id }, 'Idempotency key reused for a different request');
          throw keyReusedError();
        }
        if (decision.action === 'replay') {
          this.metrics.increment('replayed');
          this.logger.info({ ...log, keyId: existing.id }, 'Idempotency key replayed');
          return prepareStoredResponse(existing.response!, true, res);
        }
        if (decision.action === 'wait') {
          this.throwIfPastDeadline(deadline, { ...log, keyId: existing.id });
          if (waitingOn !== existing.id) {
            waitingOn = existing.id;
            this.metrics.increment('waited');
            this.logger.info({ ...log, keyId: existing.id }, 'Waiting for the request that owns the idempotency key');
            if (!(await this.keys.registerWaiter(existing.id))) {
              continue;
            }
          }
          await this.listener.waitForChange(existing.id, Math.min(this.pollMs, deadline - Date.now()));
          continue;
        }

        const takeover = await this.unlessBlocked(() => this.keys.takeOver(existing, request, this.leaseMs, this.ttlSeconds));
        if (takeover === 'blocked') {
          this.throwIfPastDeadline(deadline, log);
          continue;
        }
        owned = takeover;
        if (owned && existing.status === 'processing') {
          this.metrics.increment('taken_over');
          this.logger.info({ ...log, keyId: owned.id, attempts: owned.attempts }, 'Idempotency key taken over');
        }
      }
      if (!owned) {
        continue;
      }

      if (owned.attempts === 1) {
        this.metrics.increment('claimed');
        this.logger.info({ ...log, keyId: owned.id }, 'Idempotency key claimed');
      }
      try {
        return prepareStoredResponse(await this.run(owned, res, next), false, res);
      } catch (error) {
        if (error instanceof LeaseLostError) {
          continue;
        }
        throw error;
      }
    }
    throw keyInUseError(RETRY_AFTER_SECONDS);
  }

  private throwIfPastDeadline(deadline: number, log: Record<string, string>): void {
    if (Date.now() >= deadline) {
      this.metrics.increment('conflict');
      this.logger.info(log, 'Idempotency key still in progress after the wait');
      throw keyInUseError(RETRY_AFTER_SECONDS);
    }
  }

  /** Runs a key query, or returns 'blocked' when a paused worker holds the key row past lock_timeout. */
  private async unlessBlocked<T>(query: () => Promise<T>): Promise<T | 'blocked'> {
    try {
      return await query();
    } catch (error) {
      if (isLockNotAvailable(error)) {
        return 'blocked';
      }
      throw error;
    }
  }

  private run(key: ClaimedKey, res: ExpressResponse, next: CallHandler): Promise<StoredResponse> {
    return this.execution.execute(key, async () => {
      const result = await lastValueFrom(next.handle(), { defaultValue: undefined });
      const location = res.getHeader('location');
      return storeJsonResult(res.statusCode, result, typeof location === 'string' ? location : undefined);
    });
  }
}
