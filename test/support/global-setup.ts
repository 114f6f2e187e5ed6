import { startGatewayProcess } from './gateway-process';
import { startTestDatabase } from './test-database';

/** tok_slow delay of the shared gateway; the e2e app's gateway timeout sits below it. */
export const GATEWAY_SLOW_MS = 1500;

export default async function globalSetup(): Promise<void> {
  const database = await startTestDatabase();
  const gateway = await startGatewayProcess(GATEWAY_SLOW_MS);

  process.env.E2E_DATABASE_URL = database.url;
  process.env.E2E_GATEWAY_URL = gateway.url;
  (globalThis as { e2eTeardown?: () => Promise<void> }).e2eTeardown = async () => {
    await gateway.stop();
    await database.stop();
  };
}
