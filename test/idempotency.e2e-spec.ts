import { randomUUID } from 'node:crypto';
import { fingerprintRequest } from '../src/idempotency/request-fingerprint';
import { startApp, type AppProcess } from './support/app-process';
import {
  closeDb,
  createMerchant,
  expectAtMostOncePerKey,
  gatewayCharges,
  keyRowsOf,
  paymentsOf,
  validPayment,
  type TestMerchant,
} from './support/fixtures';
import { eventually, postPayment, sleep } from './support/http';

// The gateway responds to tok_slow after 1500 ms; these replicas wait up to 3000 ms for it.
const PATIENT = { GATEWAY_TIMEOUT_MS: '3000', IDEMPOTENCY_LEASE_MS: '5000' };

describe('Idempotency-Key on POST /payments', () => {
  let replicaA: AppProcess;
  let replicaB: AppProcess;
  let merchant: TestMerchant;

  beforeAll(async () => {
    [replicaA, replicaB] = await Promise.all([startApp('idempotency-a', PATIENT), startApp('idempotency-b', PATIENT)]);
  });

  afterAll(async () => {
    await Promise.all([replicaA.stop(), replicaB.stop()]);
    await closeDb();
  });

  beforeEach(async () => {
    merchant = await createMerchant();
  });

  afterEach(async () => {
    await expectAtMostOncePerKey(merchant.id);
  });

  const post = (app: AppProcess, key: string | string[] | undefined, body: unknown = validPayment(), signal?: AbortSignal) =>
    postPayment(app.url, { apiKey: merchant.apiKey, key, body, signal });

  describe('key header', () => {
    it.each([
      ['missing', undefined],
      ['empty', ''],
      ['over 255 characters', 'k'.repeat(256)],
      ['with a space', 'order 42'],
      ['with a non-ASCII character', 'caf\u00e9'],
      ['sent twice', ['key-1', 'key-2']],
    ])('rejects a key %s with 400 and writes nothing', async (_case, key) => {
      const response = await post(replicaA, key);

      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.json.code).toBe('idempotency_key_invalid');
      expect(await keyRowsOf(merchant.id)).toHaveLength(0);
      expect(await paymentsOf(merchant.id)).toHaveLength(0);
    });

    it('treats a quoted key and a bare key as one key', async () => {
      const key = randomUUID();

      const first = await post(replicaA, `"${key}"`);
      const second = await post(replicaA, key);

      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(second.json.id).toBe(first.json.id);
    });
  });

  describe('scope', () => {
    it('keeps one key apart between merchants', async () => {
      const other = await createMerchant();
      const key = randomUUID();

      const mine = await post(replicaA, key);
      const theirs = await postPayment(replicaA.url, { apiKey: other.apiKey, key, body: validPayment() });

      expect(mine.status).toBe(201);
      expect(theirs.status).toBe(201);
      expect(theirs.headers.get('idempotent-replayed')).toBeNull();
      expect(theirs.json.id).not.toBe(mine.json.id);
      expect(await paymentsOf(merchant.id)).toHaveLength(1);
      expect(await paymentsOf(other.id)).toHaveLength(1);
      await expectAtMostOncePerKey(other.id);
    });
  });

  describe('fingerprint', () => {
    it('replays a body with other key order and whitespace', async () => {
      const key = randomUUID();

      const first = await post(replicaA, key, '{"amount":700,"currency":"USD","source":"tok_visa"}');
      const second = await post(replicaB, key, '{ "source" : "tok_visa",\n  "currency": "USD", "amount": 700 }');

      expect(second.status).toBe(201);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(second.json.id).toBe(first.json.id);
    });

    it('rejects the key with another body with 422 and leaves the record untouched', async () => {
      const key = randomUUID();
      await post(replicaA, key);
      const [before] = await keyRowsOf(merchant.id);

      const response = await post(replicaB, key, validPayment({ amount: 9999 }));

      expect(response.status).toBe(422);
      expect(response.json.code).toBe('idempotency_key_reused');
      const [after] = await keyRowsOf(merchant.id);
      expect(after).toEqual(before);
      expect(await paymentsOf(merchant.id)).toHaveLength(1);
    });

    it('hashes the body as sent, before validation strips or converts it', async () => {
      const key = randomUUID();
      const body = { amount: 800, currency: 'USD', source: 'tok_visa', metadata: { b: '2', a: '1' } };

      await post(replicaA, key, body);

      const [row] = await keyRowsOf(merchant.id);
      expect(row.request_hash).toEqual(fingerprintRequest('POST', '/payments', body));
    });
  });

  describe('first request and replay', () => {
    it('completes the key in the payment transaction', async () => {
      const key = randomUUID();

      const response = await post(replicaA, key);

      const [row] = await keyRowsOf(merchant.id);
      expect(row).toMatchObject({ status: 'completed', response_status: 201, resource_id: response.json.id, attempts: 1 });
      expect(row.response_body).toEqual(response.body);
      expect(row.request_body).toBeNull();
    });

    it('replays status, headers and exact body bytes from another replica without charging', async () => {
      const key = randomUUID();
      const first = await post(replicaA, key, validPayment({ metadata: { orderId: '7' } }));

      const replay = await post(replicaB, key, validPayment({ metadata: { orderId: '7' } }));

      expect(first.status).toBe(201);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      expect(replay.status).toBe(201);
      expect(replay.body.equals(first.body)).toBe(true);
      expect(replay.headers.get('location')).toBe(first.headers.get('location'));
      expect(replay.headers.get('content-type')).toBe(first.headers.get('content-type'));
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(await gatewayCharges(first.json.id)).toHaveLength(1);
      expect(await paymentsOf(merchant.id)).toHaveLength(1);
    });

    it('replays a decline as the same 402', async () => {
      const key = randomUUID();
      const first = await post(replicaA, key, validPayment({ source: 'tok_declined' }));

      const replay = await post(replicaB, key, validPayment({ source: 'tok_declined' }));

      expect(first.status).toBe(402);
      expect(replay.status).toBe(402);
      expect(replay.body.equals(first.body)).toBe(true);
      expect(replay.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(await gatewayCharges(first.json.paymentId)).toHaveLength(1);
    });
  });

  describe('in-flight duplicate', () => {
    it('waits for the original and replays it', async () => {
      const key = randomUUID();
      const body = validPayment({ source: 'tok_slow' });

      const original = post(replicaA, key, body);
      await sleep(300);
      const duplicate = await post(replicaB, key, body);

      expect((await original).status).toBe(201);
      expect(duplicate.status).toBe(201);
      expect(duplicate.headers.get('idempotent-replayed')).toBe('true');
      expect(duplicate.json.id).toBe((await original).json.id);
    });

    it('makes one payment from 20 concurrent requests on two replicas', async () => {
      const key = randomUUID();
      const body = validPayment({ source: 'tok_slow' });

      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) => post(i % 2 === 0 ? replicaA : replicaB, key, body)),
      );

      const created = responses.filter((response) => response.status === 201);
      expect(responses.every((response) => response.status === 201 || response.status === 409)).toBe(true);
      expect(created.length).toBeGreaterThan(0);
      expect(new Set(created.map((response) => response.json.id)).size).toBe(1);
      expect(await paymentsOf(merchant.id)).toHaveLength(1);
      expect(await gatewayCharges(created[0].json.id)).toHaveLength(1);
    });

    it('answers 409 with Retry-After when the wait ends first', async () => {
      const impatient = await startApp('idempotency-no-wait', { ...PATIENT, IDEMPOTENCY_WAIT_MS: '0' });
      try {
        const key = randomUUID();
        const body = validPayment({ source: 'tok_slow' });

        const original = post(replicaA, key, body);
        await sleep(300);
        const duplicate = await post(impatient, key, body);

        expect(duplicate.status).toBe(409);
        expect(duplicate.json.code).toBe('idempotency_key_in_use');
        expect(duplicate.headers.get('retry-after')).toBe('1');
        expect((await original).status).toBe(201);
      } finally {
        await impatient.stop();
      }
    });
  });

  describe('outcomes that are not stored', () => {
    it('releases the key after a validation error', async () => {
      const key = randomUUID();

      const invalid = await post(replicaA, key, validPayment({ amount: -1 }));
      const corrected = await post(replicaA, key, validPayment());

      expect(invalid.status).toBe(400);
      expect(corrected.status).toBe(201);
      expect(corrected.headers.get('idempotent-replayed')).toBeNull();
    });

    it('keeps the key after a gateway timeout and charges once on retry', async () => {
      const key = randomUUID();
      const body = validPayment({ source: 'tok_timeout' });

      const timedOut = await postPayment(replicaA.url, { apiKey: merchant.apiKey, key, body });
      const [kept] = await keyRowsOf(merchant.id);
      const retried = await post(replicaB, key, body);

      expect(timedOut.status).toBe(504);
      expect(timedOut.json.code).toBe('gateway_timeout');
      expect(kept.status).toBe('processing');
      expect(retried.status).toBe(201);
      expect(retried.json.id).toBe(kept.resource_id);
      expect(await gatewayCharges(kept.resource_id)).toHaveLength(1);
      expect(await paymentsOf(merchant.id)).toHaveLength(1);
    });

    it('keeps the key after a gateway 500 and charges once on retry', async () => {
      const key = randomUUID();
      const body = validPayment({ source: 'tok_error' });

      const failed = await post(replicaA, key, body);
      const retried = await post(replicaA, key, body);

      expect(failed.status).toBe(502);
      expect(retried.status).toBe(201);
      expect(await gatewayCharges(retried.json.id)).toHaveLength(1);
    });
  });
});
