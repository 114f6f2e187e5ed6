import { closeDb } from '../support/fixtures';
import { clusterTarget, waitForAllReplicas } from './support/cluster-target';
import { postPayment, postWithRetries } from './support/payment-client';
import { chargesWithDescription, eventually, expectInvariant, paymentsWithDescription, startScenario } from './support/scenario';

const target = clusterTarget();
const describeCluster = target.skipReason ? describe.skip : describe;
const skipNote = target.skipReason ? ` (skipped: ${target.skipReason})` : '';

describeCluster(`duplicate requests through the load balancer${skipNote}`, () => {
  beforeEach(async () => {
    if (target.control) {
      await waitForAllReplicas(target);
    }
  });

  afterAll(async () => {
    await closeDb();
  });

  test.each([2, 25])(
    'double-click of %i identical requests',
    async (count) => {
      const scenario = await startScenario(`double-click-${count}`);
      const key = scenario.newKey();
      const request = scenario.request(target.baseUrl, key, 'tok_visa');

      const attempts = await Promise.all(Array.from({ length: count }, () => postPayment(request)));
      scenario.recordAttempts(key, ...attempts);

      const replicas = new Set(attempts.map((attempt) => attempt.replicaId));
      expect(replicas.size).toBeGreaterThan(1);
      const unexpected = attempts.filter((attempt) => attempt.status !== 201 && attempt.status !== 409);
      expect(unexpected).toEqual([]);
      const created = attempts.filter((attempt) => attempt.status === 201);
      expect(created.length).toBeGreaterThan(0);
      expect(new Set(created.map((attempt) => attempt.paymentId)).size).toBe(1);
      expect(await paymentsWithDescription(scenario.merchant.id, scenario.description(key))).toHaveLength(1);
      expect(await chargesWithDescription(scenario.description(key))).toBe(1);
      await expectInvariant(scenario);
    },
    30_000,
  );

  test('client timeout then retries', async () => {
    const scenario = await startScenario('client-timeout');
    const key = scenario.newKey();
    const description = scenario.description(key);

    // tok_slow replies after the gateway's slow delay, so the client gives up long before that.
    const abandoned = await postPayment(scenario.request(target.baseUrl, key, 'tok_slow', 500));
    const immediate = await postPayment(scenario.request(target.baseUrl, key, 'tok_slow'));
    // The original request commits its payment row last, so a row means it has finished.
    await eventually(
      'the original request to commit its payment',
      async () => ((await paymentsWithDescription(scenario.merchant.id, description)).length > 0 ? true : undefined),
      target.gatewaySlowMs + 15_000,
    );
    const final = await postPayment(scenario.request(target.baseUrl, key, 'tok_slow'));
    scenario.recordAttempts(key, abandoned, immediate, final);

    expect(abandoned.status).toBeNull();
    expect(abandoned.code).toBe('client_timeout');
    expect([201, 409]).toContain(immediate.status);
    expect(final.status).toBe(201);
    expect(final.replayed).toBe(true);
    expect(await paymentsWithDescription(scenario.merchant.id, description)).toHaveLength(1);
    expect(await chargesWithDescription(description)).toBe(1);
    await expectInvariant(scenario);
  }, 60_000);

  test('gateway timeout then retries', async () => {
    const scenario = await startScenario('gateway-timeout');
    const key = scenario.newKey();
    const description = scenario.description(key);

    // tok_timeout records the charge but never replies to the first call for its key.
    const first = await postPayment(scenario.request(target.baseUrl, key, 'tok_timeout'));
    const retries = await postWithRetries(scenario.request(target.baseUrl, key, 'tok_timeout'), {
      maxAttempts: 10,
      backoffMs: 500,
    });
    scenario.recordAttempts(key, first, ...retries);

    expect(first.status).toBe(504);
    expect(first.code).toBe('gateway_timeout');
    expect(retries.at(-1)?.status).toBe(201);
    expect(await paymentsWithDescription(scenario.merchant.id, description)).toHaveLength(1);
    expect(await chargesWithDescription(description)).toBe(1);
    await expectInvariant(scenario);
  }, 90_000);
});
