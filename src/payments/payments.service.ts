import { Injectable } from '@nestjs/common';
import { Transactional, TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { PreparedStatements } from '../database/prepared-statements';
import { CardGateway } from '../gateway/card-gateway';
import { IdempotencyContext } from '../idempotency/idempotency.context';
import type { CreatePaymentDto } from './dto/create-payment.dto';
import { Payment } from './payment.entity';
import { RECORD_PAYMENT } from './payment-statements';
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
    private readonly statements: PreparedStatements,
  ) {
    this.currencies = new Set(config.get('CURRENCIES').split(','));
  }

  /**
   * Charges the card and records the payment in one transaction. A gateway error leaves no
   * row. Under an idempotency key the payment id is the key's resource id, and it doubles as
   * the gateway's idempotency key, so every retry of the key requests the same charge.
   */
  @Transactional()
  async create(merchantId: string, request: CreatePaymentDto): Promise<Payment> {
    if (!this.currencies.has(request.currency)) {
      throw currencyNotAllowed(request.currency, [...this.currencies]);
    }
    const id = this.idempotency.resourceId() ?? randomUUID();
    const description = request.description ?? null;
    const metadata = request.metadata ?? {};

    // NOTE: the transaction keeps its pooled connection for the whole gateway call, so
    // DATABASE_POOL_SIZE slow charges make every other request of this replica wait for one.
    this.idempotency.markSideEffectStarted();
    const charge = await this.gateway.charge(
      { amount: request.amount, currency: request.currency, source: request.source, description },
      id,
    );

    // A second attempt of the same key (a paused replica that lost its lease) fails here on
    // the primary key, after waiting up to lock_timeout if the other attempt has not committed.
    const [recorded] = await this.statements.run<{ created_at: Date; updated_at: Date }>(RECORD_PAYMENT, [
      id,
      merchantId,
      request.amount,
      request.currency,
      charge.status,
      description,
      JSON.stringify(metadata),
      charge.chargeId,
      charge.declineCode,
    ]);
    return {
      id,
      merchantId,
      amount: request.amount,
      currency: request.currency,
      status: charge.status,
      description,
      metadata,
      gatewayChargeId: charge.chargeId,
      declineCode: charge.declineCode,
      createdAt: recorded.created_at,
      updatedAt: recorded.updated_at,
    };
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
