import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './data-source-options';

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
