import { randomUUID } from 'node:crypto';
import { startApp, type AppProcess } from './support/app-process';
import { closeDb, createMerchant, db, expectAtMostOncePerKey, gatewayCharges, keyRowsOf, paymentsOf, validPayment, type TestMerchant } from './support/fixtures';
import { eventually, postPayment, sleep } from './support/http';
import { GATEWAY_SLOW_MS } from './support/e2e-settings';

// The gateway responds to tok_slow after 1500 ms; these replicas wait up to 1800 ms, and a lease outlives that.
const PATIENT = { GATEWAY_TIMEOUT_MS: '1800', IDEMPOTENCY_LEASE_MS: '2500', IDEMPOTENCY_WAIT_MS: '8000' };

describe('Idempotency keys after crashes', () => {
  let survivor: AppProcess;
  let merchant: TestMerchant;

  beforeAll(async () => {
    survivor = await startApp('recovery-survivor', PATIENT);
  });

  afterAll(async () => {
    await survivor.stop();
    await closeDb();
  });

  beforeEach(async () => {
    merchant = await createMerchant();
  });

  afterEach(async () => {
    await expectAtMostOncePerKey(merchant.id);
  });

  const processingKey = (what: string) =>
    eventually(async () => (await keyRowsOf(merchant.id)).find((row) => row.status === 'processing'), 5000, what);

  it('lets a retry take over the key of a killed replica', async () => {
    const doomed = await startApp('recovery-killed', PATIENT);
    const key = randomUUID();
    const body = validPayment({ source: 'tok_slow' });

    const lost = postPayment(doomed.url, { apiKey: merchant.apiKey, key, body }).catch((error: unknown) => error);
    const claimed = await processingKey('the doomed replica to claim the key');
    await sleep(200);
    await doomed.stop('SIGKILL');
    const retried = await postPayment(survivor.url, { apiKey: merchant.apiKey, key, body });

    expect(String(await lost)).toMatch(/fetch failed/);
    expect(retried.status).toBe(201);
    expect(retried.json.id).toBe(claimed.resource_id);
    const [row] = await keyRowsOf(merchant.id);
    expect(row).toMatchObject({ status: 'completed', attempts: 2, fencing_token: '2' });
    expect(await gatewayCharges(claimed.resource_id)).toHaveLength(1);
    expect(await paymentsOf(merchant.id)).toHaveLength(1);
  });

  it('stops a zombie whose lease was taken over from completing', async () => {
    const zombie = await startApp('recovery-zombie', PATIENT);
    try {
      const key = randomUUID();
      const body = validPayment({ source: 'tok_slow' });

      const zombieAnswer = postPayment(zombie.url, { apiKey: merchant.apiKey, key, body });
      const claimed = await processingKey('the zombie to claim the key');
      zombie.process.kill('SIGSTOP');
      await sleep(3000);
      const takeover = postPayment(survivor.url, { apiKey: merchant.apiKey, key, body });
      await eventually(async () => ((await keyRowsOf(merchant.id))[0].fencing_token === '2' ? true : undefined), 5000, 'the takeover');
      zombie.process.kill('SIGCONT');

      const [fromSurvivor, fromZombie] = await Promise.all([takeover, zombieAnswer]);
      expect(fromSurvivor.status).toBe(201);
      expect(fromSurvivor.json.id).toBe(claimed.resource_id);
      expect(fromZombie.status).toBe(201);
      expect(fromZombie.json.id).toBe(claimed.resource_id);
      expect(await paymentsOf(merchant.id)).toHaveLength(1);
      expect(await gatewayCharges(claimed.resource_id)).toHaveLength(1);
    } finally {
      zombie.process.kill('SIGCONT');
      await zombie.stop();
    }
  });

  it('finishes an abandoned key with the recovery worker when nobody retries', async () => {
    const worker = await startApp('recovery-worker', { ...PATIENT, IDEMPOTENCY_RECOVERY_INTERVAL_MS: '300' });
    const doomed = await startApp('recovery-abandoned', PATIENT);
    try {
      const key = randomUUID();

      void postPayment(doomed.url, { apiKey: merchant.apiKey, key, body: validPayment({ source: 'tok_slow' }) }).catch(() => undefined);
      const claimed = await processingKey('the doomed replica to claim the key');
      await sleep(200);
      await doomed.stop('SIGKILL');

      const payment = await eventually(async () => (await paymentsOf(merchant.id))[0], 15000, 'the recovered payment');
      expect(payment).toMatchObject({ id: claimed.resource_id, status: 'succeeded' });
      const [row] = await keyRowsOf(merchant.id);
      expect(row.status).toBe('completed');
      expect(await gatewayCharges(claimed.resource_id)).toHaveLength(1);

      const replay = await postPayment(survivor.url, { apiKey: merchant.apiKey, key, body: validPayment({ source: 'tok_slow' }) });
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
    } finally {
      await Promise.all([worker.stop(), doomed.stop('SIGKILL')]);
    }
  });
});

describe('Idempotency key expiry', () => {
  let replica: AppProcess;
  let merchant: TestMerchant;

  beforeAll(async () => {
    replica = await startApp('expiry', {
      IDEMPOTENCY_TTL: '1',
      IDEMPOTENCY_CLEANUP_INTERVAL_MS: '300',
      // Long enough for tok_slow to succeed instead of timing out.
      GATEWAY_TIMEOUT_MS: '5000',
      IDEMPOTENCY_LEASE_MS: '10000',
    });
  });

  afterAll(async () => {
    await replica.stop();
    await closeDb();
  });

  beforeEach(async () => {
    merchant = await createMerchant();
  });

  it('treats an expired key as a new request', async () => {
    const key = randomUUID();

    const first = await postPayment(replica.url, { apiKey: merchant.apiKey, key, body: validPayment() });
    await sleep(1200);
    const second = await postPayment(replica.url, { apiKey: merchant.apiKey, key, body: validPayment({ amount: 300 }) });

    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(second.json.id).not.toBe(first.json.id);
    expect(await paymentsOf(merchant.id)).toHaveLength(2);
  });

  it('counts retention from the completion', async () => {
    const key = randomUUID();

    // tok_slow keeps the gateway call longer than the one-second retention.
    const first = await postPayment(replica.url, { apiKey: merchant.apiKey, key, body: validPayment({ source: 'tok_slow' }) });
    const { rows } = await db().query(
      `SELECT extract(epoch FROM k.expires_at - p.created_at) AS seconds
       FROM idempotency_keys k JOIN payments p ON p.id = k.resource_id
       WHERE k.merchant_id = $1 AND k.key = $2`,
      [merchant.id, key],
    );

    expect(first.status).toBe(201);
    expect(rows).toHaveLength(1);
    expect(Number(rows[0].seconds)).toBeGreaterThanOrEqual(GATEWAY_SLOW_MS / 1000 + 1);
  });

  it('deletes expired keys in the cleanup job', async () => {
    await postPayment(replica.url, { apiKey: merchant.apiKey, key: randomUUID(), body: validPayment() });

    await eventually(async () => ((await keyRowsOf(merchant.id)).length === 0 ? true : undefined), 10000, 'the cleanup');

    expect(await paymentsOf(merchant.id)).toHaveLength(1);
    const { rows } = await db().query("SELECT count(*)::int AS n FROM idempotency_keys WHERE status = 'completed' AND expires_at < now() - interval '5 seconds'");
    expect(rows[0].n).toBe(0);
  });
});
