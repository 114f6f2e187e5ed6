import { CallHandler, ExecutionContext, HttpException, Injectable, NestInterceptor } from '@nestjs/common';
import { IdempotencyError, IdempotencyErrorCodes, type Idempotency, type IdempotencyParams } from '@node-idempotency/core';
import type { Request, Response as ExpressResponse } from 'express';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { ProblemException } from '../../src/common/problem/problem.exception';
import { renderProblem } from '../../src/common/problem/problem-details';

/** Response of a completed key, as the Redis variant stores it. */
interface StoredOutcome {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * The Redis approach to Idempotency-Key, for comparison only: @node-idempotency/core marks
 * the key in Redis with SET NX before the handler runs and stores the response after it,
 * in a separate step from the payment's commit. Duplicates in flight poll Redis until the
 * first request finishes. Keys are scoped by merchant, like the service's own.
 */
@Injectable()
export class RedisIdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly idempotency: Idempotency) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    if (req.method !== 'POST') {
      return next.handle();
    }
    const params: IdempotencyParams = {
      method: req.method,
      path: `${req.merchant?.id ?? 'anonymous'}:${req.path}`,
      headers: req.headers,
      body: req.body as Record<string, unknown> | undefined,
    };
    return from(this.respond(params, http.getResponse<ExpressResponse>(), next));
  }

  private async respond(params: IdempotencyParams, res: ExpressResponse, next: CallHandler): Promise<unknown> {
    let cached;
    try {
      cached = await this.idempotency.onRequest<StoredOutcome, StoredOutcome>(params);
    } catch (error) {
      throw toProblem(error);
    }
    if (cached) {
      const outcome = (cached.body ?? cached.error)!;
      return new Response(JSON.stringify(outcome.body), {
        status: outcome.status,
        headers: { ...outcome.headers, 'idempotent-replayed': 'true' },
      });
    }

    try {
      const body = await lastValueFrom(next.handle(), { defaultValue: undefined });
      const location = res.getHeader('location');
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
      if (typeof location === 'string') {
        headers.location = location;
      }
      // Status 201 comes from @HttpCode, which Nest applies after the interceptors.
      await this.idempotency.onResponse(params, { body: { status: 201, headers, body } });
      return body;
    } catch (error) {
      // Stores the error as the key's outcome, because the package cannot release a key and an
      // IN_PROGRESS key would get a 409 for every retry until its TTL ends.
      const { body } = renderProblem(error, undefined);
      const headers = { 'content-type': 'application/problem+json' };
      await this.idempotency.onResponse(params, { error: { status: body.status, headers, body } });
      throw error;
    }
  }
}

function toProblem(error: unknown): unknown {
  if (!(error instanceof IdempotencyError)) {
    return error;
  }
  switch (error.code) {
    case IdempotencyErrorCodes.REQUEST_IN_PROGRESS:
      return new ProblemException({ status: 409, code: 'idempotency_key_in_use', title: 'Conflict', detail: error.message });
    case IdempotencyErrorCodes.IDEMPOTENCY_FINGERPRINT_MISSMATCH:
      return new ProblemException({ status: 422, code: 'idempotency_key_reused', title: 'Unprocessable Content', detail: error.message });
    default:
      return new HttpException(error.message, 400);
  }
}
