import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeDb } from '../support/fixtures';
import { clusterTarget, waitForAllReplicas } from './support/cluster-target';
import { postPayment, type PaymentAttempt } from './support/payment-client';
import { expectInvariant, startScenario } from './support/scenario';

const target = clusterTarget();
const describeCluster = target.skipReason ? describe.skip : describe;
const skipNote = target.skipReason ? ` (skipped: ${target.skipReason})` : '';

const CLIENTS = 50;
const DURATION_MS = 20_000;
const MAX_EXTRA_SENDS = 3;
const MAX_SEND_DELAY_MS = 300;

/** Card tokens with their share of the payments and the statuses a send may get. */
const TOKEN_MIX: { source: string; weight: number; allowed: readonly number[] }[] = [
  { source: 'tok_visa', weight: 55, allowed: [201, 409] },
  { source: 'tok_declined', weight: 15, allowed: [402, 409] },
  // Only the injected failures may end in 502 or 504.
  { source: 'tok_slow', weight: 15, allowed: [201, 409, 502, 504] },
  { source: 'tok_timeout', weight: 8, allowed: [201, 409, 502, 504] },
  { source: 'tok_error', weight: 7, allowed: [201, 409, 502, 504] },
];
const TOTAL_WEIGHT = TOKEN_MIX.reduce((sum, token) => sum + token.weight, 0);

function pickToken(): (typeof TOKEN_MIX)[number] {
  let roll = randomInt(TOTAL_WEIGHT);
  for (const token of TOKEN_MIX) {
    if (roll < token.weight) {
      return token;
    }
    roll -= token.weight;
  }
  return TOKEN_MIX[0];
}

describeCluster(`mixed load through the load balancer${skipNote}`, () => {
  beforeEach(async () => {
    if (target.control) {
      await waitForAllReplicas(target);
    }
  });

  afterAll(async () => {
    await closeDb();
  });

  test(
    `${CLIENTS} clients for ${DURATION_MS / 1000} s with random resends`,
    async () => {
      const scenario = await startScenario('mixed');
      const tokens = new Map<string, (typeof TOKEN_MIX)[number]>();
      const deadline = Date.now() + DURATION_MS;

      // Each payment is sent once plus 0-3 more times, each send 0-300 ms after the one before
      // it and without waiting for its response, like an impatient client or a double-click.
      const runClient = async () => {
        while (Date.now() < deadline) {
          const key = scenario.newKey();
          const token = pickToken();
          tokens.set(key, token);
          const request = scenario.request(target.baseUrl, key, token.source);

          const sends: Promise<PaymentAttempt>[] = [postPayment(request)];
          const extraSends = randomInt(MAX_EXTRA_SENDS + 1);
          for (let index = 0; index < extraSends; index++) {
            await sleep(randomInt(MAX_SEND_DELAY_MS + 1));
            sends.push(postPayment(request));
          }
          scenario.recordAttempts(key, ...(await Promise.all(sends)));
        }
      };
      await Promise.all(Array.from({ length: CLIENTS }, () => runClient()));

      const entries = scenario.entries();
      const unexpected = entries.flatMap(([key, { attempts }]) => {
        const token = tokens.get(key)!;
        return attempts
          .filter((attempt) => attempt.status === null || !token.allowed.includes(attempt.status))
          .map((attempt) => ({ key, source: token.source, status: attempt.status, code: attempt.code }));
      });
      const sends = entries.reduce((sum, [, { attempts }]) => sum + attempts.length, 0);
      console.info(`Mixed load: ${entries.length} payments, ${sends} requests`);

      expect(entries.length).toBeGreaterThan(CLIENTS);
      expect(unexpected).toEqual([]);
      await expectInvariant(scenario);
    },
    120_000,
  );
});
