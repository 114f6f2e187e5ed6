import { randomUUID } from 'node:crypto';
import { startApp } from './support/app-process';
import { closeDb, createMerchant, keyRowsOf, paymentsOf, validPayment } from './support/fixtures';
import { eventually, postPayment } from './support/http';

describe('Graceful shutdown', () => {
  afterAll(async () => {
    await closeDb();
  });

  it('fails readiness on SIGTERM and finishes the request in flight', async () => {
    const app = await startApp('shutdown', { SHUTDOWN_DRAIN_MS: '1500', GATEWAY_TIMEOUT_MS: '3000', IDEMPOTENCY_LEASE_MS: '5000' });
    const merchant = await createMerchant();
    const inFlight = postPayment(app.url, { apiKey: merchant.apiKey, key: randomUUID(), body: validPayment({ source: 'tok_slow' }) });
    await eventually(async () => ((await keyRowsOf(merchant.id)).length > 0 ? true : undefined), 5000, 'the claimed key');

    const exited = app.stop('SIGTERM');
    const readiness = await eventually(async () => {
      const response = await fetch(`${app.url}/health/ready`);
      return response.status === 503 ? response : undefined;
    }, 5000, 'readiness to fail');

    const duringDrain = await postPayment(app.url, { apiKey: merchant.apiKey, key: randomUUID(), body: validPayment() });

    expect(readiness.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(duringDrain.status).toBe(201);
    expect((await inFlight).status).toBe(201);
    await exited;
    expect(app.process.exitCode === 0 || app.process.signalCode === 'SIGTERM').toBe(true);
    expect(await paymentsOf(merchant.id)).toEqual([
      expect.objectContaining({ status: 'succeeded' }),
      expect.objectContaining({ status: 'succeeded' }),
    ]);
  });

  it('echoes the request id', async () => {
    const app = await startApp('request-id');
    try {
      const response = await fetch(`${app.url}/health/live`, { headers: { 'X-Request-Id': 'trace-123' } });

      expect(response.headers.get('x-request-id')).toBe('trace-123');
      expect(response.headers.get('x-replica-id')).toBe('request-id');
    } finally {
      await app.stop();
    }
  });
});
