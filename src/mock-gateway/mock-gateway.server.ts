import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIPv6 } from 'node:net';
import pino, { type Logger } from 'pino';

import { ChargeLedger } from './charge-ledger';
import { createRequestListener } from './gateway-routes';

export const DEFAULT_GATEWAY_HOST = '127.0.0.1';
export const DEFAULT_SLOW_MS = 3000;
// Node's setTimeout fires after 1 ms, with a TimeoutOverflowWarning, for delays above this value.
export const MAX_SLOW_MS = 2 ** 31 - 1;

export interface MockGatewayOptions {
  /** Interface to bind. Defaults to 127.0.0.1. */
  host?: string;
  /** TCP port. Defaults to 0, which picks a free ephemeral port. */
  port?: number;
  /** Delay in milliseconds before a `tok_slow` charge replies. Defaults to 3000. */
  slowMs?: number;
  /** Logger for request and charge events. `false` disables logging. Defaults to a new pino logger. */
  logger?: Logger | false;
}

export interface MockGatewayHandle {
  /** Base URL with the bound port, such as "http://127.0.0.1:4010". */
  url: string;
  port: number;
  /** Stops the server and destroys every open connection, including requests still waiting. */
  close(): Promise<void>;
}

/** Starts the mock card gateway and resolves once it listens. */
export async function startMockGateway(options: MockGatewayOptions = {}): Promise<MockGatewayHandle> {
  const host = options.host ?? DEFAULT_GATEWAY_HOST;
  const port = options.port ?? 0;
  const slowMs = options.slowMs ?? DEFAULT_SLOW_MS;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`port must be an integer from 0 to 65535, got ${port}.`);
  }
  if (!Number.isInteger(slowMs) || slowMs < 0 || slowMs > MAX_SLOW_MS) {
    throw new RangeError(`slowMs must be an integer from 0 to ${MAX_SLOW_MS}, got ${slowMs}.`);
  }

  const logger = createLogger(options.logger);
  const ledger = new ChargeLedger({ slowMs, logger });
  const server = createServer(createRequestListener(ledger, logger));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const address = server.address() as AddressInfo;
  const urlHost = isIPv6(address.address) ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve, reject) => {
      ledger.close();
      server.close((error) => (error ? reject(error) : resolve()));
      // server.close() waits for open connections, and a withheld tok_timeout reply never ends.
      server.closeAllConnections();
    });
    return closing;
  };

  return { url: `http://${urlHost}:${address.port}`, port: address.port, close };
}

function createLogger(logger: Logger | false | undefined): Logger {
  if (logger === false) {
    return pino({ enabled: false });
  }
  return logger ?? pino({ name: 'mock-gateway' });
}
