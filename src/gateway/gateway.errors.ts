import { ProblemException } from '../common/problem/problem.exception';

/** The request never reached the gateway (refused or timed-out connection), so nothing was charged. */
export class GatewayUnavailableError extends ProblemException {
  constructor(cause: string) {
    super({
      status: 502,
      code: 'gateway_unavailable',
      title: 'Card gateway unavailable',
      detail: `The card gateway could not be reached (${cause}). Nothing was charged; retry the request.`,
    });
  }
}

/** The gateway did not respond in time. The charge may or may not have been made. */
export class GatewayTimeoutError extends ProblemException {
  constructor(timeoutMs: number) {
    super({
      status: 504,
      code: 'gateway_timeout',
      title: 'Card gateway timeout',
      detail: `The card gateway did not answer within ${timeoutMs} ms. Retry with the same Idempotency-Key; it will not charge twice.`,
      outcomeUnknown: true,
    });
  }
}

/** The gateway failed (5xx, or the connection broke after the request was sent). The outcome is unknown. */
export class GatewayFailureError extends ProblemException {
  constructor(cause: string) {
    super({
      status: 502,
      code: 'gateway_error',
      title: 'Card gateway error',
      detail: `The card gateway failed (${cause}). Retry with the same Idempotency-Key; it will not charge twice.`,
      outcomeUnknown: true,
    });
  }
}

/** The gateway rejected the request itself, for example an unknown card token. Nothing was charged. */
export class GatewayRejectedError extends ProblemException {
  constructor(gatewayCode: string, gatewayMessage: string) {
    super({
      status: 400,
      code: 'invalid_card_source',
      title: 'Card rejected by the gateway',
      detail: `The card gateway rejected the request: ${gatewayMessage}`,
      extensions: { gatewayCode },
    });
  }
}
