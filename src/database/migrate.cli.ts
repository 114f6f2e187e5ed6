import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './data-source-options';
import { runMigrations } from './migrate';
import { resolveDatabase } from './resolve-database';

async function revertLastMigration(url: string, log: (message: string) => void): Promise<void> {
  const dataSource = await new DataSource(buildDataSourceOptions(url, 1)).initialize();
  try {
    await dataSource.undoLastMigration({ transaction: 'each' });
    log('Reverted the last applied migration');
  } finally {
    await dataSource.destroy();
  }
}

// Usage: node dist/src/database/migrate.cli.js [run|revert]
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
