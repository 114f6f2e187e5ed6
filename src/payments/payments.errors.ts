import { ProblemException } from '../common/problem/problem.exception';
import type { Payment } from './payment.entity';

/** A declined card is a final result: the declined payment is recorded, stored and replayed. */
export class PaymentDeclinedException extends ProblemException {
  constructor(payment: Payment) {
    super({
      status: 402,
      code: 'card_declined',
      title: 'Card declined',
      detail: `The card was declined (${payment.declineCode}). Ask the customer for another card.`,
      extensions: { paymentId: payment.id, declineCode: payment.declineCode },
      finalOutcome: true,
    });
  }
}

export function paymentNotFound(): ProblemException {
  return new ProblemException({
    status: 404,
    code: 'payment_not_found',
    title: 'Payment not found',
    detail: 'No payment with this id exists for this merchant.',
  });
}

export function currencyNotAllowed(currency: string, allowed: readonly string[]): ProblemException {
  const message = `currency ${currency} is not accepted; use one of ${allowed.join(', ')}`;
  return new ProblemException({
    status: 400,
    code: 'validation_failed',
    title: 'Invalid request',
    detail: message,
    extensions: { errors: [message] },
  });
}

export function invalidCursor(): ProblemException {
  return new ProblemException({
    status: 400,
    code: 'invalid_cursor',
    title: 'Invalid cursor',
    detail: 'The cursor is not one this API returned. Start again without a cursor.',
  });
}
