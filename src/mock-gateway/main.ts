import pino from 'pino';

import { GatewayConfigError, readGatewayConfig } from './gateway-config';
import { startMockGateway } from './mock-gateway.server';

/** Starts the mock card gateway from environment variables and stops it on SIGINT or SIGTERM. */
async function main(): Promise<void> {
  let config;
  try {
    config = readGatewayConfig(process.env);
  } catch (error) {
    if (error instanceof GatewayConfigError) {
      process.stderr.write(`mock-gateway: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }

  const logger = pino({ name: 'mock-gateway' });
  let gateway;
  try {
    gateway = await startMockGateway({ ...config, logger });
  } catch (error) {
    logger.fatal({ err: error, host: config.host, port: config.port }, 'mock gateway failed to start');
    process.exitCode = 1;
    return;
  }
  logger.info({ url: gateway.url, slowMs: config.slowMs }, 'mock gateway listening');

  const stop = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'mock gateway stopping');
    gateway.close().then(
      () => logger.info('mock gateway stopped'),
      (error: unknown) => {
        logger.error({ err: error }, 'mock gateway failed to stop cleanly');
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
