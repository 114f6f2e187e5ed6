import type { DataSource } from 'typeorm';
import { hashApiKey } from './api-key';

/** Test API key of the demo merchant that `npm start` seeds on the embedded database only. */
export const DEMO_API_KEY = 'sk_test_demo_local_only';

/** Creates the demo merchant unless it exists. */
export async function seedDemoMerchant(dataSource: DataSource): Promise<{ merchantId: string; apiKey: string }> {
  const hash = hashApiKey(DEMO_API_KEY);
  await dataSource.query(
    `INSERT INTO merchants (name, api_key_sha256) VALUES ('Demo merchant', $1) ON CONFLICT (api_key_sha256) DO NOTHING`,
    [hash],
  );
  const [row] = await dataSource.query<{ id: string }[]>('SELECT id FROM merchants WHERE api_key_sha256 = $1', [hash]);
  return { merchantId: row.id, apiKey: DEMO_API_KEY };
}
