import { GATEWAY_SLOW_MS } from './e2e-settings';
import { startGatewayProcess } from './gateway-process';
import { startTestDatabase } from './test-database';

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
