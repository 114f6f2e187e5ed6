import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { startApp, type AppProcess } from './support/app-process';
import { closeDb, createMerchant, expectAtMostOncePerKey, gatewayCharges, keyRowsOf, paymentsOf, validPayment } from './support/fixtures';
import { postPayment, sleep, type RawResponse } from './support/http';

const SETTINGS = { GATEWAY_TIMEOUT_MS: '1800', IDEMPOTENCY_LEASE_MS: '2500', IDEMPOTENCY_WAIT_MS: '1000' };
const FINAL_STATUSES = [201, 402];

type Send = { kind: 'send'; replica: 0 | 1 | 2; delayMs: number; abortAfterMs: number | null };
type Crash = { kind: 'crash'; atMs: number };
type Action = Send | Crash;

const sendArbitrary: fc.Arbitrary<Action> = fc.record({
  kind: fc.constant('send' as const),
  replica: fc.constantFrom(0 as const, 1 as const, 2 as const),
  delayMs: fc.integer({ min: 0, max: 600 }),
  abortAfterMs: fc.option(fc.integer({ min: 50, max: 800 }), { nil: null }),
});
const crashArbitrary: fc.Arbitrary<Action> = fc.record({ kind: fc.constant('crash' as const), atMs: fc.integer({ min: 0, max: 1500 }) });

describe('Idempotency under random interleavings', () => {
  const replicas: AppProcess[] = [];

  beforeAll(async () => {
    replicas.push(...(await Promise.all([0, 1, 2].map((i) => startApp(`property-${i}`, SETTINGS)))));
  }, 60000);

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop('SIGKILL')));
    await closeDb();
  });

  it('never makes two payments or two charges for one key', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('tok_visa', 'tok_slow', 'tok_timeout', 'tok_error', 'tok_declined'),
        fc.array(fc.oneof({ weight: 5, arbitrary: sendArbitrary }, { weight: 1, arbitrary: crashArbitrary }), { minLength: 2, maxLength: 8 }),
        async (source, actions) => {
          const merchant = await createMerchant();
          const key = randomUUID();
          const body = validPayment({ source });
          const send = (replica: number, abortAfterMs: number | null) =>
            postPayment(replicas[replica].url, {
              apiKey: merchant.apiKey,
              key,
              body,
              signal: abortAfterMs === null ? undefined : AbortSignal.timeout(abortAfterMs),
            }).catch(() => undefined);

          const answers = await Promise.all(
            actions.map(async (action): Promise<RawResponse | undefined> => {
              if (action.kind === 'crash') {
                await sleep(action.atMs);
                await replicas[2].stop('SIGKILL');
                return undefined;
              }
              await sleep(action.delayMs);
              return replicas[action.replica].process.exitCode === null && replicas[action.replica].process.signalCode === null
                ? send(action.replica, action.abortAfterMs)
                : undefined;
            }),
          );
          if (replicas[2].process.signalCode !== null) {
            replicas[2] = await startApp('property-2', SETTINGS);
          }

          let final: RawResponse | undefined;
          for (let attempt = 0; attempt < 20 && !FINAL_STATUSES.includes(final?.status ?? 0); attempt++) {
            final = await send(0, null);
            if (!FINAL_STATUSES.includes(final?.status ?? 0)) {
              await sleep(500);
            }
          }

          expect(FINAL_STATUSES).toContain(final?.status);
          const created = [...answers, final].filter((answer) => answer?.status === 201);
          expect(new Set(created.map((answer) => answer!.json.id)).size).toBeLessThanOrEqual(1);
          const payments = await paymentsOf(merchant.id);
          expect(payments).toHaveLength(1);
          const [row] = await keyRowsOf(merchant.id);
          expect(await gatewayCharges(row.resource_id)).toHaveLength(1);
          await expectAtMostOncePerKey(merchant.id);
        },
      ),
      { numRuns: 8, endOnFailure: true },
    );
  }, 240000);
});
