import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../database/data-source-options';
import { runMigrations } from '../database/migrate';
import { resolveDatabase } from '../database/resolve-database';
import { generateApiKey, hashApiKey } from './api-key';

// Usage: npm run merchant:create -- --name "Acme Ltd"
// Prints one JSON line: {"merchantId": "...", "apiKey": "..."}. Logs go to stderr.
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { name: { type: 'string' } } });
  const name = values.name?.trim();
  if (!name || name.length > 200) {
    console.error('Usage: npm run merchant:create -- --name <name of 1 to 200 characters>');
    process.exit(2);
  }

  const log = (message: string) => console.error(message);
  const database = await resolveDatabase(process.env, log);
  try {
    if (database.embedded) {
      await runMigrations(database.url, log);
    }
    const dataSource = await new DataSource(buildDataSourceOptions(database.url, 1)).initialize();
    try {
      const apiKey = generateApiKey();
      const [row] = await dataSource.query<{ id: string }[]>(
        'INSERT INTO merchants (name, api_key_sha256) VALUES ($1, $2) RETURNING id',
        [name, hashApiKey(apiKey)],
      );
      console.log(JSON.stringify({ merchantId: row.id, apiKey }));
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await database.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`Failed to create the merchant: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
