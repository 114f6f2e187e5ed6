import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './data-source-options';
import { resolveDatabase } from './resolve-database';

/** Applies every pending migration. Each migration runs in its own transaction. */
export async function runMigrations(url: string, log: (message: string) => void = () => undefined): Promise<void> {
  const dataSource = await new DataSource(buildDataSourceOptions(url, 1)).initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    applied.forEach((migration) => log(`Applied migration ${migration.name}`));
  } finally {
    await dataSource.destroy();
  }
}

async function revertLastMigration(url: string, log: (message: string) => void): Promise<void> {
  const dataSource = await new DataSource(buildDataSourceOptions(url, 1)).initialize();
  try {
    await dataSource.undoLastMigration({ transaction: 'each' });
    log('Reverted the last applied migration');
  } finally {
    await dataSource.destroy();
  }
}

// Usage: node dist/src/database/migrate.js [run|revert]
async function main(): Promise<void> {
  const command = process.argv[2] ?? 'run';
  const log = (message: string) => console.log(message);
  if (command !== 'run' && command !== 'revert') {
    console.error(`Unknown command "${command}": use "run" or "revert"`);
    process.exit(2);
  }

  const database = await resolveDatabase(process.env, log);
  try {
    if (command === 'run') {
      await runMigrations(database.url, log);
    } else {
      await revertLastMigration(database.url, log);
    }
  } finally {
    await database.stop();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
