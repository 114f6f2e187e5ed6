import { DynamicModule, MiddlewareConsumer, Module, NestModule, ValidationPipe } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { ClsModule } from 'nestjs-cls';
import { LoggerModule } from 'nestjs-pino';
import { ApiKeyGuard } from './auth/api-key.guard';
import { JsonBodyCheckMiddleware } from './common/http/json-body-check.middleware';
import { ProblemDetailsFilter } from './common/problem/problem-details.filter';
import { AppConfig } from './config/app-config';
import { validateEnvironment } from './config/environment';
import { buildDataSourceOptions } from './database/data-source-options';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { IdempotencyModule } from './idempotency/idempotency.module';
import { loggingParams } from './logging.config';
import { MerchantsModule } from './merchants/merchants.module';
import { PaymentsModule } from './payments/payments.module';
import { RUNTIME_OPTIONS, type RuntimeOptions } from './runtime-options';
import { RuntimeShutdown } from './runtime-shutdown';

const LOCK_TIMEOUT_MS = 2000;

/** The whole service. Global pipes, guards and filters are providers, so e2e tests run the production pipeline. */
@Module({})
export class AppModule implements NestModule {
  static register(runtime: RuntimeOptions): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: validateEnvironment, cache: true }),
        LoggerModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: AppConfig) => loggingParams(config.get('LOG_LEVEL'), config.get('REPLICA_ID')),
        }),
        TypeOrmModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: AppConfig) =>
            buildDataSourceOptions(runtime.databaseUrl, config.get('DATABASE_POOL_SIZE'), {
              // No lock in this service is held for long, except behind a paused replica.
              lockTimeoutMs: LOCK_TIMEOUT_MS,
              // A transaction idle for longer than a lease belongs to a worker that lost it.
              idleInTransactionTimeoutMs: config.get('IDEMPOTENCY_LEASE_MS'),
              // A busy pool frees a connection within one gateway call, so wait that long before a 503.
              poolWaitMs: Math.max(5000, config.get('GATEWAY_TIMEOUT_MS') + config.get('GATEWAY_CONNECT_TIMEOUT_MS')),
            }),
        }),
        ClsModule.forRoot({
          global: true,
          middleware: { mount: true },
          plugins: [
            new ClsPluginTransactional({
              imports: [TypeOrmModule],
              adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: getDataSourceToken() }),
            }),
          ],
        }),
        ScheduleModule.forRoot(),
        DatabaseModule,
        HealthModule,
        MerchantsModule,
        IdempotencyModule,
        PaymentsModule,
      ],
      providers: [
        { provide: RUNTIME_OPTIONS, useValue: runtime },
        { provide: AppConfig, useExisting: ConfigService },
        RuntimeShutdown,
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
        },
      ],
      exports: [RUNTIME_OPTIONS, AppConfig],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(JsonBodyCheckMiddleware).forRoutes('{*path}');
  }
}
