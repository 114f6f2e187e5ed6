import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { Client } from 'pg';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime-options';
import { KEY_CHANGED_CHANNEL } from './idempotency-key.repository';

const RECONNECT_DELAY_MS = 1000;

/**
 * Wakes requests that wait on a key another replica owns. It LISTENs on one dedicated
 * connection per process, outside the pool, so a waiting request uses no pooled
 * connection. Notifications are only a hint: waiters also poll, so a lost
 * notification or a dropped listener connection delays a waiter but never misleads it.
 */
@Injectable()
export class KeyChangeListener implements OnModuleInit, OnApplicationShutdown {
  private readonly waiters = new Map<string, Set<() => void>>();
  private client?: Client;
  private readonly abandonedClients = new WeakSet<Client>();
  private stopped = false;

  constructor(
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
    private readonly logger: PinoLogger,
  ) {
    logger.setContext(KeyChangeListener.name);
  }

  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.client?.end().catch(() => undefined);
  }

  /** Resolves when the key changes, or after `timeoutMs`, whichever comes first. */
  waitForChange(keyId: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.waiters.get(keyId) ?? new Set<() => void>();
      const wake = () => {
        clearTimeout(timer);
        waiters.delete(wake);
        if (waiters.size === 0) {
          this.waiters.delete(keyId);
        }
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      waiters.add(wake);
      this.waiters.set(keyId, waiters);
    });
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.runtime.databaseUrl, application_name: 'payments-api-listener' });
    client.on('notification', (message) => this.wake(message.payload ?? ''));
    client.on('error', (error) => {
      this.logger.warn({ err: error }, 'Key change listener connection failed; waiters fall back to polling');
      this.scheduleReconnect(client);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${KEY_CHANGED_CHANNEL}`);
      this.client = client;
    } catch (error) {
      this.logger.warn({ err: error }, 'Key change listener could not connect; waiters fall back to polling');
      this.scheduleReconnect(client);
    }
  }

  private scheduleReconnect(client: Client): void {
    // Both the error event and a failed connect call this; reconnect once per client.
    if (this.abandonedClients.has(client)) {
      return;
    }
    this.abandonedClients.add(client);
    client.removeAllListeners('error');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.client === client) {
      this.client = undefined;
    }
    if (!this.stopped) {
      setTimeout(() => void this.connect(), RECONNECT_DELAY_MS).unref();
    }
  }

  private wake(keyId: string): void {
    const waiters = this.waiters.get(keyId);
    if (waiters) {
      [...waiters].forEach((wake) => wake());
    }
  }
}
