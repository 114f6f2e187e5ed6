import type { Payment } from './payment.entity';
import { PaymentDeclinedException } from './payments.errors';
import { toPaymentView, type PaymentView } from './payment.view';

export interface CreatedPaymentResponse {
  location: string;
  view: PaymentView;
}

/**
 * Turns a new payment into the response of POST /payments, used by the route and by
 * recovery alike. A declined payment becomes a 402 that names it.
 */
export function respondToNewPayment(payment: Payment): CreatedPaymentResponse {
  if (payment.status === 'declined') {
    throw new PaymentDeclinedException(payment);
  }
  return { location: `/payments/${payment.id}`, view: toPaymentView(payment) };
}
