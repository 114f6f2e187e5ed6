import { setTimeout as sleep } from 'node:timers/promises';
import { closeDb, keyRowsOf } from '../support/fixtures';
import { SAFE_REPLICA_IDS } from './support/cluster-settings';
import { clusterTarget, waitForAllReplicas, type ClusterControl } from './support/cluster-target';
import { postPayment, postWithRetries, type PaymentAttempt } from './support/payment-client';
import { waitForClaim } from './support/replica-logs';
import {
  chargesWithDescription,
  eventually,
  expectInvariant,
  paymentsWithDescription,
  startScenario,
  type Scenario,
} from './support/scenario';

const target = clusterTarget();
const describeCluster = target.skipReason ? describe.skip : describe;
const skipNote = target.skipReason ? ` (skipped: ${target.skipReason})` : '';
const control = target.control;
const logDir = target.logDir;
const testWithControl = control && logDir ? test : test.skip;
const controlNote =
  control && logDir ? '' : ' (skipped: needs process control, but E2E_BASE_URL points at an existing stack)';

/**
 * What a client sees when the replica dies mid-request. Observed with HAProxy 2.6.12: a 502 on
 * a new client connection, but a close without response or log line on a kept-alive one, which
 * undici reports as UND_ERR_SOCKET (curl then sends the POST again).
 */
const LOST_RESPONSE: readonly (number | string)[] = [502, 'UND_ERR_SOCKET'];

/** Starts every stopped replica again and waits until the load balancer routes to all three. */
async function restoreReplicas(clusterControl: ClusterControl): Promise<void> {
  for (const replica of await clusterControl.replicas()) {
    if (!replica.running) {
      await clusterControl.startReplica(replica.id);
    }
  }
  await waitForAllReplicas(target);
}

/**
 * Sends a tok_slow payment through the load balancer and SIGKILLs the replica that claimed it,
 * after the gateway recorded the charge and before the slow reply arrives.
 */
async function killReplicaMidPayment(scenario: Scenario, key: string): Promise<{ victim: string; first: PaymentAttempt }> {
  const pending = postPayment(scenario.request(target.baseUrl, key, 'tok_slow'));
  const victim = await waitForClaim(logDir!, SAFE_REPLICA_IDS, key);
  await eventually(
    'the gateway to record the charge',
    async () => ((await chargesWithDescription(scenario.description(key))) > 0 ? true : undefined),
    5_000,
    50,
  );
  await control!.stopReplica(victim, 'SIGKILL');
  return { victim, first: await pending };
}

/** Polls the replica's readiness until it stops returning 200, and returns that status or the error code. */
async function readinessAfterOk(url: string): Promise<number | string> {
  for (let probe = 0; probe < 200; probe++) {
    try {
      const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.status !== 200) {
        return response.status;
      }
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      return cause?.code ?? 'network_error';
    }
    await sleep(25);
  }
  return 200;
}

describeCluster(`replica failures${skipNote}`, () => {
  beforeEach(async () => {
    if (control) {
      await waitForAllReplicas(target);
    }
  });

  afterEach(async () => {
    if (control) {
      await restoreReplicas(control);
    }
  }, 60_000);

  afterAll(async () => {
    await closeDb();
  });

  testWithControl(
    `killed replica, client retries${controlNote}`,
    async () => {
      const scenario = await startScenario('kill-retry');
      const key = scenario.newKey();
      const description = scenario.description(key);

      const { first } = await killReplicaMidPayment(scenario, key);
      const retries = await postWithRetries(scenario.request(target.baseUrl, key, 'tok_slow'), {
        maxAttempts: 10,
        backoffMs: 500,
      });
      scenario.recordAttempts(key, first, ...retries);

      expect(LOST_RESPONSE).toContain(first.status ?? first.code);
      expect(retries.at(-1)?.status).toBe(201);
      expect(await paymentsWithDescription(scenario.merchant.id, description)).toHaveLength(1);
      expect(await chargesWithDescription(description)).toBe(1);
      await expectInvariant(scenario);
    },
    90_000,
  );

  testWithControl(
    `killed replica, recovery worker finishes${controlNote}`,
    async () => {
      const scenario = await startScenario('kill-recovery');
      const key = scenario.newKey();
      const description = scenario.description(key);

      const { first } = await killReplicaMidPayment(scenario, key);
      // No client retry: a surviving replica's recovery worker takes the key over once its lease ends.
      const payments = await eventually(
        'the recovery worker to record the payment',
        async () => {
          const rows = await paymentsWithDescription(scenario.merchant.id, description);
          return rows.length > 0 ? rows : undefined;
        },
        30_000,
      );
      const [keyRow] = await keyRowsOf(scenario.merchant.id);
      const replay = await postPayment(scenario.request(target.baseUrl, key, 'tok_slow'));
      scenario.recordAttempts(key, first, replay);

      expect(LOST_RESPONSE).toContain(first.status ?? first.code);
      expect(payments).toHaveLength(1);
      expect(payments[0].status).toBe('succeeded');
      expect(keyRow.status).toBe('completed');
      expect(keyRow.response_status).toBe(201);
      expect(replay.status).toBe(201);
      expect(replay.replayed).toBe(true);
      expect(replay.paymentId).toBe(payments[0].id);
      expect(await chargesWithDescription(description)).toBe(1);
      await expectInvariant(scenario);
    },
    90_000,
  );

  testWithControl(
    `SIGTERM drains and finishes in-flight payment${controlNote}`,
    async () => {
      const scenario = await startScenario('drain');
      const key = scenario.newKey();
      const replica = (await control!.replicas()).find((candidate) => candidate.id === 'replica-3')!;

      // Sent to the replica directly, so the load balancer cannot hide a cut connection.
      const pending = postPayment(scenario.request(replica.url, key, 'tok_slow'));
      await waitForClaim(logDir!, [replica.id], key);
      const stopped = control!.stopReplica(replica.id, 'SIGTERM');
      const readiness = await readinessAfterOk(replica.url);
      const attempt = await pending;
      await stopped;
      scenario.recordAttempts(key, attempt);

      // SHUTDOWN_DRAIN_MS: readiness fails while the server still accepts connections.
      expect(readiness).toBe(503);
      expect(attempt.status).toBe(201);
      await expectInvariant(scenario);
    },
    60_000,
  );

  testWithControl(
    `rolling restart under steady traffic${controlNote}`,
    async () => {
      const scenario = await startScenario('rolling');
      const sources = new Map<string, string>();
      let running = true;

      const runClient = async () => {
        while (running) {
          const key = scenario.newKey();
          // Some slow payments, so that requests are in flight when a replica stops.
          const source = Math.random() < 0.2 ? 'tok_slow' : 'tok_visa';
          sources.set(key, source);
          const attempts = await postWithRetries(scenario.request(target.baseUrl, key, source), {
            maxAttempts: 15,
            backoffMs: 300,
          });
          scenario.recordAttempts(key, ...attempts);
        }
      };
      const clients = Array.from({ length: 5 }, () => runClient());

      try {
        for (const id of SAFE_REPLICA_IDS) {
          await control!.stopReplica(id, 'SIGTERM');
          await control!.startReplica(id);
          await waitForAllReplicas(target);
        }
      } finally {
        running = false;
        await Promise.all(clients);
      }

      const entries = scenario.entries();
      const failed = entries
        .filter(([, { attempts }]) => attempts.at(-1)?.status !== 201)
        .map(([key, { attempts }]) => ({ key, source: sources.get(key), statuses: attempts.map((attempt) => attempt.status ?? attempt.code) }));
      const retried = entries.filter(([, { attempts }]) => attempts.length > 1).length;

      expect(entries.length).toBeGreaterThan(0);
      expect(failed).toEqual([]);
      // Logged for the report: how many payments needed a retry while replicas restarted.
      console.info(`Rolling restart: ${entries.length} payments, ${retried} needed a retry`);
      await expectInvariant(scenario);
    },
    180_000,
  );
});
