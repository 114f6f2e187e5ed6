import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime-options';
import { CardGateway } from './card-gateway';
import { HttpCardGateway } from './http-card-gateway';

@Module({
  providers: [
    {
      provide: CardGateway,
      inject: [AppConfig, RUNTIME_OPTIONS],
      useFactory: (config: AppConfig, runtime: RuntimeOptions) =>
        new HttpCardGateway({
          baseUrl: runtime.gatewayUrl,
          connectTimeoutMs: config.get('GATEWAY_CONNECT_TIMEOUT_MS'),
          responseTimeoutMs: config.get('GATEWAY_TIMEOUT_MS'),
        }),
    },
  ],
  exports: [CardGateway],
})
export class GatewayModule {}
