import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Client } from 'pg';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime-options';

const PING_TIMEOUT_MS = 2000;

/**
 * Pings PostgreSQL over one connection of its own, outside the request pool. When every
 * pooled connection is busy with a slow gateway call, the replica is loaded, not broken:
 * failing readiness then would make the load balancer drop every busy replica at once.
 */
@Injectable()
export class DatabaseHealthIndicator implements OnApplicationShutdown {
  private client?: Promise<Client>;

  constructor(
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
    private readonly health: HealthIndicatorService,
  ) {}

  async isReachable(key: string) {
    const indicator = this.health.check(key);
    try {
      const client = await this.connection();
      await client.query('SELECT 1');
      return indicator.up();
    } catch (error) {
      await this.reset();
      return indicator.down({ message: error instanceof Error ? error.message : 'unreachable' });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.reset();
  }

  private connection(): Promise<Client> {
    this.client ??= this.connect();
    return this.client;
  }

  private async connect(): Promise<Client> {
    const client = new Client({
      connectionString: this.runtime.databaseUrl,
      connectionTimeoutMillis: PING_TIMEOUT_MS,
      query_timeout: PING_TIMEOUT_MS,
      application_name: 'payments-api-health',
    });
    client.on('error', () => void this.reset());
    await client.connect();
    return client;
  }

  private async reset(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.then((connected) => connected.end()).catch(() => undefined);
  }
}
