import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { PinoLogger } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';
import { IdempotencyKeyRepository } from './idempotency-key.repository';

// Stops one run from monopolising the database however large the backlog is.
const MAX_BATCHES_PER_RUN = 100;

/**
 * Deletes expired completed keys in bounded batches. Safe to run on every replica at
 * once, because each batch skips rows another replica has locked.
 */
@Injectable()
export class CleanupJob implements OnApplicationBootstrap {
  private running = false;

  constructor(
    private readonly config: AppConfig,
    private readonly scheduler: SchedulerRegistry,
    private readonly keys: IdempotencyKeyRepository,
    private readonly logger: PinoLogger,
  ) {
    logger.setContext(CleanupJob.name);
  }

  onApplicationBootstrap(): void {
    const intervalMs = this.config.get('IDEMPOTENCY_CLEANUP_INTERVAL_MS');
    if (intervalMs > 0) {
      this.scheduler.addInterval(CleanupJob.name, setInterval(() => void this.deleteExpiredKeys(), intervalMs));
    }
  }

  /** Deletes expired keys until none are left or the run's batch limit is reached. Returns the count. */
  async deleteExpiredKeys(): Promise<number> {
    if (this.running) {
      return 0;
    }
    this.running = true;
    const batchSize = this.config.get('IDEMPOTENCY_CLEANUP_BATCH_SIZE');
    let deleted = 0;
    try {
      for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
        const count = await this.keys.deleteExpired(batchSize);
        deleted += count;
        if (count < batchSize) {
          break;
        }
      }
      if (deleted > 0) {
        this.logger.info({ deleted }, 'Deleted expired idempotency keys');
      }
    } catch (error) {
      this.logger.error({ err: error, deleted }, 'Cleanup of expired idempotency keys failed');
    } finally {
      this.running = false;
    }
    return deleted;
  }
}
