import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { PinoLogger } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';
import type { ClaimedKey } from './idempotency-key.record';
import { IdempotencyKeyRepository } from './idempotency-key.repository';
import { IdempotencyMetrics } from './idempotency-metrics';
import { IdempotentOperations } from './idempotent-operations';
import { KeyedExecution } from './keyed-execution';

const BATCH_SIZE = 10;

/**
 * Finishes keys left `processing` by a crashed replica or an unknown gateway outcome,
 * even if the client never retries. It re-runs the stored request with the key's
 * resource id, so the gateway receives the same downstream key and returns the original
 * charge instead of making a second one. Runs on every replica.
 */
@Injectable()
export class RecoveryWorker implements OnApplicationBootstrap {
  private running = false;

  constructor(
    private readonly config: AppConfig,
    private readonly scheduler: SchedulerRegistry,
    private readonly keys: IdempotencyKeyRepository,
    private readonly execution: KeyedExecution,
    private readonly operations: IdempotentOperations,
    private readonly metrics: IdempotencyMetrics,
    private readonly logger: PinoLogger,
  ) {
    logger.setContext(RecoveryWorker.name);
  }

  onApplicationBootstrap(): void {
    const settings = this.config;
    const intervalMs = settings.get('IDEMPOTENCY_RECOVERY_INTERVAL_MS');
    if (settings.get('IDEMPOTENCY_ENABLED') && intervalMs > 0) {
      this.scheduler.addInterval(RecoveryWorker.name, setInterval(() => void this.recoverDueKeys(), intervalMs));
    }
  }

  /** Takes over and finishes one batch of abandoned keys. Returns how many it finished. */
  async recoverDueKeys(): Promise<number> {
    if (this.running) {
      return 0;
    }
    this.running = true;
    try {
      const leaseMs = this.config.get('IDEMPOTENCY_LEASE_MS');
      const due = await this.keys.takeOverExpired(BATCH_SIZE, leaseMs);
      const results = await Promise.all(due.map((key) => this.recover(key)));
      return results.filter(Boolean).length;
    } catch (error) {
      this.logger.error({ err: error }, 'Recovery of abandoned idempotency keys failed');
      return 0;
    } finally {
      this.running = false;
    }
  }

  private async recover(key: ClaimedKey): Promise<boolean> {
    const log = { keyId: key.id, merchantId: key.merchantId, key: key.key, attempts: key.attempts };
    const operation = this.operations.find(key.method, key.path);
    if (!operation) {
      this.logger.error({ ...log, route: `${key.method} ${key.path}` }, 'No recovery operation for this route');
      return false;
    }

    try {
      const response = await this.execution.execute(key, () => operation(key));
      this.metrics.increment('recovered');
      this.logger.info({ ...log, status: response.status }, 'Idempotency key recovered');
      return true;
    } catch (error) {
      this.logger.warn({ ...log, err: error }, 'Recovery attempt failed; the key stays recoverable or was released');
      return false;
    }
  }
}
