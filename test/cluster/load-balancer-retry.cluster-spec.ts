import { randomUUID } from 'node:crypto';
import { closeDb, createMerchant } from '../support/fixtures';
import { SAFE_REPLICA_IDS } from './support/cluster-settings';
import { clusterTarget, waitForAllReplicas } from './support/cluster-target';
import { paymentBody, postPayment } from './support/payment-client';
import { replicasThatLoggedKey } from './support/replica-logs';
import { chargesWithDescription, eventually, expectInvariant, paymentsWithDescription, startScenario } from './support/scenario';

/*
 * The replay-post-on-timeout HAProxy gives up on a replica after 1500 ms and sends the same POST
 * to another one. The suite's tok_slow charges take longer than that, so every slow payment
 * through it reaches two replicas.
 */

const target = clusterTarget();
const describeCluster = target.skipReason ? describe.skip : describe;
const skipNote = target.skipReason ? ` (skipped: ${target.skipReason})` : '';
const canReplay = target.replayUrl !== undefined && target.unsafeReplayUrl !== undefined && target.logDir !== undefined;
const testWithReplayProxy = canReplay ? test : test.skip;
const replayNote = canReplay ? '' : ' (skipped: needs the replay HAProxy of the global setup, but E2E_BASE_URL points at an existing stack)';

describeCluster(`load balancer that replays POST requests${skipNote}`, () => {
  beforeEach(async () => {
    if (target.control) {
      await waitForAllReplicas(target);
    }
  });

  afterAll(async () => {
    await closeDb();
  });

  testWithReplayProxy(
    `replayed slow payment charges once${replayNote}`,
    async () => {
      const scenario = await startScenario('lb-replay');
      const key = scenario.newKey();
      const description = scenario.description(key);

      const attempt = await postPayment(scenario.request(target.replayUrl!, key, 'tok_slow'));
      scenario.recordAttempts(key, attempt);
      // Proves that HAProxy did replay the POST: the key reached a second replica.
      const replicas = await eventually(
        'a second replica to log the key',
        async () => {
          const found = await replicasThatLoggedKey(target.logDir!, SAFE_REPLICA_IDS, key);
          return found.length >= 2 ? found : undefined;
        },
        5_000,
      );

      expect(replicas).toHaveLength(2);
      expect(attempt.status).toBe(201);
      expect(attempt.replayed).toBe(true);
      expect(await paymentsWithDescription(scenario.merchant.id, description)).toHaveLength(1);
      expect(await chargesWithDescription(description)).toBe(1);
      await expectInvariant(scenario);
    },
    30_000,
  );

  // Control experiment: the same proxy in front of replicas without idempotency must produce a
  // double charge, or the test above could not have detected one.
  testWithReplayProxy(
    `replay without idempotency charges twice${replayNote}`,
    async () => {
      const merchant = await createMerchant();
      const description = `cluster unsafe-replay ${randomUUID()}`;

      const attempt = await postPayment({
        baseUrl: target.unsafeReplayUrl!,
        apiKey: merchant.apiKey,
        key: null,
        body: paymentBody(description, 'tok_slow'),
      });
      // Both replicas commit their payment once the slow charge returns, after HAProxy gave up.
      const payments = await eventually(
        'both replicas to record a payment',
        async () => {
          const rows = await paymentsWithDescription(merchant.id, description);
          return rows.length >= 2 ? rows : undefined;
        },
        target.gatewaySlowMs + 10_000,
      );

      expect(attempt.status).toBe(504);
      expect(await chargesWithDescription(description)).toBe(2);
      expect(payments).toHaveLength(2);
    },
    30_000,
  );
});
