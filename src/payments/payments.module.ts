import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { GatewayModule } from '../gateway/gateway.module';
import { Payment } from './payment.entity';
import { PaymentsController } from './payments.controller';
import { PaymentsRecovery } from './payments.recovery';
import { PaymentsService } from './payments.service';

@Module({
  imports: [TypeOrmModule.forFeature([Payment]), GatewayModule],
  controllers: [PaymentsController],
  providers: [PaymentsService, PaymentsRecovery],
})
export class PaymentsModule {}
