import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentMerchant, type AuthenticatedMerchant } from '../auth/authenticated-merchant';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { CreatePaymentDto } from './dto/create-payment.dto';
import { ListPaymentsQuery } from './dto/list-payments.query';
import { respondToNewPayment } from './payment-response';
import { PaymentPage, PaymentView, toPaymentView } from './payment.view';
import { PaymentsService } from './payments.service';

@ApiTags('payments')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Missing or unknown API key' })
@Controller('payments')
export class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  @Post()
  @HttpCode(201)
  @Idempotent()
  @ApiOperation({ operationId: 'createPayment', summary: 'Charge a card and record the payment' })
  @ApiCreatedResponse({ type: PaymentView, description: 'Charged. Location names the payment.' })
  @ApiResponse({ status: 402, description: 'Declined. The declined payment is recorded; the body names paymentId and declineCode.' })
  @ApiResponse({ status: 502, description: 'Gateway failed. Retry with the same Idempotency-Key.' })
  @ApiResponse({ status: 504, description: 'Gateway timed out. Retry with the same Idempotency-Key.' })
  async createPayment(
    @CurrentMerchant() merchant: AuthenticatedMerchant,
    @Body() request: CreatePaymentDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<PaymentView> {
    const payment = await this.payments.create(merchant.id, request);
    const { location, view } = respondToNewPayment(payment);
    res.location(location);
    return view;
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getPayment' })
  @ApiOkResponse({ type: PaymentView })
  @ApiResponse({ status: 404, description: 'No such payment for this merchant' })
  async getPayment(@CurrentMerchant() merchant: AuthenticatedMerchant, @Param('id') id: string): Promise<PaymentView> {
    return toPaymentView(await this.payments.findOne(merchant.id, id));
  }

  @Get()
  @ApiOperation({ operationId: 'listPayments', summary: 'List payments, newest first' })
  @ApiOkResponse({ type: PaymentPage })
  async listPayments(@CurrentMerchant() merchant: AuthenticatedMerchant, @Query() query: ListPaymentsQuery): Promise<PaymentPage> {
    const { payments, nextCursor } = await this.payments.list(merchant.id, query.limit, query.cursor);
    return { data: payments.map(toPaymentView), nextCursor };
  }
}
