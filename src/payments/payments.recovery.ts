import { Injectable, OnModuleInit } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateOrReject } from 'class-validator';
import type { ClaimedKey, StoredResponse } from '../idempotency/idempotency-key.record';
import { IdempotentOperations } from '../idempotency/idempotent-operations';
import { storeJsonResult } from '../idempotency/stored-response';
import { CreatePaymentDto } from './dto/create-payment.dto';
import { respondToNewPayment } from './payment-response';
import { PaymentsService } from './payments.service';

/** Lets the recovery worker re-run POST /payments for a key its client abandoned. */
@Injectable()
export class PaymentsRecovery implements OnModuleInit {
  constructor(
    private readonly operations: IdempotentOperations,
    private readonly payments: PaymentsService,
  ) {}

  onModuleInit(): void {
    this.operations.register('POST', '/payments', (key) => this.recreate(key));
  }

  private async recreate(key: ClaimedKey): Promise<StoredResponse> {
    const request = plainToInstance(CreatePaymentDto, key.requestBody);
    await validateOrReject(request, { whitelist: true, forbidNonWhitelisted: true });

    const payment = await this.payments.create(key.merchantId, request);
    const { location, view } = respondToNewPayment(payment);
    return storeJsonResult(201, view, location);
  }
}
