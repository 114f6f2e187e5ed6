import { startChild, type ChildOutput, type ManagedChild } from './child-process';
import { DATABASE_ENTRY, requireBuilt } from './paths';

/** Message that database-process.ts sends over IPC once, when it is ready or has failed. */
export type DatabaseProcessMessage =
  | { type: 'ready'; url: string; embedded: boolean; demoMerchantId: string }
  | { type: 'failed'; message: string };

export interface DatabaseProcess {
  url: string;
  /** True when the process started (or reused) the embedded PostgreSQL instead of DATABASE_URL. */
  embedded: boolean;
  demoMerchantId: string;
  child: ManagedChild;
}

// The first start of the embedded server runs initdb, which takes a few seconds.
const READY_TIMEOUT_MS = 120_000;

/**
 * Runs database-process.ts as a child: it starts PostgreSQL (DATABASE_URL, or the embedded
 * default), applies the migrations and seeds the demo merchant. Stop the child with SIGTERM,
 * and it stops the embedded server it started.
 */
export async function startDatabaseProcess(options: {
  env: NodeJS.ProcessEnv;
  output: ChildOutput;
  detached?: boolean;
}): Promise<DatabaseProcess> {
  requireBuilt(DATABASE_ENTRY);
  const child = startChild({
    name: 'database',
    command: process.execPath,
    args: [DATABASE_ENTRY],
    env: options.env,
    output: options.output,
    detached: options.detached,
    ipc: true,
  });

  const message = await new Promise<DatabaseProcessMessage>((resolve) => {
    const timer = setTimeout(
      () => resolve({ type: 'failed', message: `the database was not ready within ${READY_TIMEOUT_MS} ms` }),
      READY_TIMEOUT_MS,
    );
    child.process.once('message', (received) => {
      clearTimeout(timer);
      resolve(received as DatabaseProcessMessage);
    });
    void child.exited.then((status) => {
      clearTimeout(timer);
      resolve({ type: 'failed', message: `the database process exited with code ${status.code} before it was ready` });
    });
  });

  if (message.type === 'failed') {
    await child.stop('SIGTERM', 10_000);
    throw new Error(`Failed to prepare the database: ${message.message}`);
  }
  return { url: message.url, embedded: message.embedded, demoMerchantId: message.demoMerchantId, child };
}
