import { ApiProperty } from '@nestjs/swagger';
import type { Payment } from './payment.entity';

/** The public representation of a payment. */
export class PaymentView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: 'Minor units' }) amount: number;
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ enum: ['succeeded', 'declined'] }) status: string;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) metadata: Record<string, string>;
  @ApiProperty({ nullable: true, type: String }) gatewayChargeId: string | null;
  @ApiProperty({ nullable: true, type: String, example: null }) declineCode: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class PaymentPage {
  @ApiProperty({ type: [PaymentView] }) data: PaymentView[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as cursor to get the next page; null on the last page' })
  nextCursor: string | null;
}

export function toPaymentView(payment: Payment): PaymentView {
  return {
    id: payment.id,
    amount: payment.amount,
    currency: payment.currency,
    status: payment.status,
    description: payment.description,
    metadata: payment.metadata,
    gatewayChargeId: payment.gatewayChargeId,
    declineCode: payment.declineCode,
    createdAt: payment.createdAt.toISOString(),
    updatedAt: payment.updatedAt.toISOString(),
  };
}
