import { HttpException } from '@nestjs/common';

export interface ProblemOptions {
  status: number;
  /** Stable, machine-readable error code, for example `idempotency_key_reused`. */
  code: string;
  title: string;
  detail: string;
  /** Extra members of the problem body, such as `paymentId`. */
  extensions?: Record<string, unknown>;
  headers?: Record<string, string>;
  /**
   * True when the request may have taken effect downstream (for example a gateway
   * timeout), so the idempotency key must stay recoverable rather than be released.
   */
  outcomeUnknown?: boolean;
  /** True when the error is the request's final result, stored and replayed like a success. */
  finalOutcome?: boolean;
}

/** An HTTP error rendered as RFC 9457 problem details with a stable `code`. */
export class ProblemException extends HttpException {
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;
  readonly outcomeUnknown: boolean;
  readonly finalOutcome: boolean;

  constructor(options: ProblemOptions) {
    super(options.detail, options.status);
    this.code = options.code;
    this.title = options.title;
    this.detail = options.detail;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
    this.outcomeUnknown = options.outcomeUnknown ?? false;
    this.finalOutcome = options.finalOutcome ?? false;
  }
}
