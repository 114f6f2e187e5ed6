import { Injectable } from '@nestjs/common';
import { Transactional, TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { CardGateway } from '../gateway/card-gateway';
import { IdempotencyContext } from '../idempotency/idempotency.context';
import type { CreatePaymentDto } from './dto/create-payment.dto';
import { Payment } from './payment.entity';
import { currencyNotAllowed, invalidCursor, paymentNotFound } from './payments.errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class PaymentsService {
  private readonly currencies: ReadonlySet<string>;

  constructor(
    config: AppConfig,
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly gateway: CardGateway,
    private readonly idempotency: IdempotencyContext,
  ) {
    this.currencies = new Set(config.get('CURRENCIES').split(','));
  }

  /**
   * Records a payment and charges the card in one transaction: insert, charge, record
   * the result, commit. A gateway error rolls the payment back. Under an idempotency key
   * the payment id is the key's resource id, and it doubles as the gateway's idempotency
   * key, so every retry of the key requests the same charge.
   */
  @Transactional()
  async create(merchantId: string, request: CreatePaymentDto): Promise<Payment> {
    if (!this.currencies.has(request.currency)) {
      throw currencyNotAllowed(request.currency, [...this.currencies]);
    }
    const payments = this.txHost.tx.getRepository(Payment);
    const payment = payments.create({
      id: this.idempotency.resourceId() ?? randomUUID(),
      merchantId,
      amount: request.amount,
      currency: request.currency,
      status: 'pending',
      description: request.description ?? null,
      metadata: request.metadata ?? {},
      gatewayChargeId: null,
      declineCode: null,
    });
    await payments.insert(payment);

    this.idempotency.markSideEffectStarted();
    const charge = await this.gateway.charge(
      { amount: payment.amount, currency: payment.currency, source: request.source, description: payment.description },
      payment.id,
    );

    payment.status = charge.status;
    payment.gatewayChargeId = charge.chargeId;
    payment.declineCode = charge.declineCode;
    const [recorded] = await this.txHost.tx.query<{ updated_at: Date }[]>(
      `WITH recorded AS (
         UPDATE payments SET status = $2, gateway_charge_id = $3, decline_code = $4, updated_at = clock_timestamp()
         WHERE id = $1
         RETURNING updated_at
       )
       SELECT updated_at FROM recorded`,
      [payment.id, payment.status, payment.gatewayChargeId, payment.declineCode],
    );
    payment.updatedAt = recorded.updated_at;
    return payment;
  }

  async findOne(merchantId: string, id: string): Promise<Payment> {
    const payment = UUID.test(id) ? await this.txHost.tx.getRepository(Payment).findOneBy({ id, merchantId }) : null;
    if (!payment) {
      throw paymentNotFound();
    }
    return payment;
  }

  /** Lists newest first. The cursor is the id of the last payment of the previous page. */
  async list(merchantId: string, limit: number, cursor?: string): Promise<{ payments: Payment[]; nextCursor: string | null }> {
    const query = this.txHost.tx
      .getRepository(Payment)
      .createQueryBuilder('payment')
      .where('payment.merchant_id = :merchantId', { merchantId })
      .orderBy('payment.created_at', 'DESC')
      .addOrderBy('payment.id', 'DESC')
      .limit(limit + 1);

    if (cursor !== undefined) {
      const afterId = decodeCursor(cursor);
      query.andWhere(
        `(payment.created_at, payment.id) < (SELECT created_at, id FROM payments WHERE id = :afterId AND merchant_id = :merchantId)`,
        { afterId },
      );
    }

    const rows = await query.getMany();
    // A cursor this API issued always has a payment after it, so an empty page means a forged one.
    if (cursor !== undefined && rows.length === 0) {
      throw invalidCursor();
    }
    const payments = rows.slice(0, limit);
    const nextCursor = rows.length > limit ? encodeCursor(payments[payments.length - 1].id) : null;
    return { payments, nextCursor };
  }
}

function encodeCursor(paymentId: string): string {
  return Buffer.from(paymentId, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const paymentId = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!UUID.test(paymentId)) {
    throw invalidCursor();
  }
  return paymentId;
}
