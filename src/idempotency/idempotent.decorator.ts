import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/**
 * Makes a POST route idempotent under the Idempotency-Key header. Method-level
 * interceptors run after global guards, so the merchant is known when the key is claimed.
 */
export function Idempotent(): MethodDecorator {
  return applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: 'Idempotency-Key',
      required: true,
      description: 'Unique key for this operation, 1 to 255 visible ASCII characters; a UUID v4 is recommended.',
    }),
    ApiResponse({ status: 409, description: 'A request with this key is still in progress; retry after Retry-After.' }),
    ApiResponse({ status: 422, description: 'This key was used for a different request.' }),
  );
}
