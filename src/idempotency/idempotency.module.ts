import { Global, Module } from '@nestjs/common';
import { CleanupJob } from './cleanup.job';
import { IdempotencyContext } from './idempotency.context';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IdempotencyKeyRepository } from './idempotency-key.repository';
import { IdempotencyMetrics } from './idempotency-metrics';
import { IdempotentOperations } from './idempotent-operations';
import { KeyChangeListener } from './key-change-listener';
import { KeyedExecution } from './keyed-execution';
import { RecoveryWorker } from './recovery.worker';

// The interceptor is instantiated in each module that uses @Idempotent(), so every
// provider it depends on is exported as well.
const providers = [
  IdempotencyContext,
  IdempotencyInterceptor,
  IdempotencyKeyRepository,
  IdempotencyMetrics,
  IdempotentOperations,
  KeyChangeListener,
  KeyedExecution,
  RecoveryWorker,
  CleanupJob,
];

@Global()
@Module({ providers, exports: providers })
export class IdempotencyModule {}
