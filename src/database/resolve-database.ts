import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded-postgres';

/**
 * Returns DATABASE_URL when it is set, and otherwise starts (or reuses) the embedded
 * PostgreSQL described by EMBEDDED_POSTGRES_DIR and EMBEDDED_POSTGRES_PORT.
 */
export async function resolveDatabase(
  env: NodeJS.ProcessEnv,
  log?: (message: string) => void,
): Promise<EmbeddedPostgresHandle & { embedded: boolean }> {
  if (env.DATABASE_URL) {
    return { url: env.DATABASE_URL, embedded: false, stop: async () => undefined };
  }
  const handle = await startEmbeddedPostgres({
    dataDir: env.EMBEDDED_POSTGRES_DIR || '.data/postgres',
    port: Number(env.EMBEDDED_POSTGRES_PORT || 54329),
    log,
  });
  return { ...handle, embedded: true };
}
