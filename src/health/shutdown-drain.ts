import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../config/app-config';

/**
 * On SIGTERM, fails readiness for SHUTDOWN_DRAIN_MS before Nest closes the HTTP server,
 * so the load balancer stops sending new requests while in-flight ones finish.
 */
@Injectable()
export class ShutdownDrain implements BeforeApplicationShutdown {
  private draining = false;

  constructor(
    private readonly config: AppConfig,
    private readonly logger: PinoLogger,
  ) {
    logger.setContext(ShutdownDrain.name);
  }

  isDraining(): boolean {
    return this.draining;
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.draining = true;
    const drainMs = this.config.get('SHUTDOWN_DRAIN_MS');
    if (signal && drainMs > 0) {
      this.logger.info({ signal, drainMs }, 'Draining: readiness fails until the server closes');
      await sleep(drainMs);
    }
  }
}
