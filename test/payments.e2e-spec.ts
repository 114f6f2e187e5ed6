import { get } from 'node:http';
import request from 'supertest';
import { startApp, type AppProcess } from './support/app-process';
import { closeDb, createMerchant, db, gatewayCharges, paymentsOf, validPayment, type TestMerchant } from './support/fixtures';

describe('Payments API', () => {
  let sut: AppProcess;
  let merchant: TestMerchant;
  let keyCounter = 0;
  const nextKey = () => `payments-e2e-${Date.now()}-${keyCounter++}`;

  beforeAll(async () => {
    sut = await startApp('payments');
  });

  afterAll(async () => {
    await sut.stop();
    await closeDb();
  });

  beforeEach(async () => {
    merchant = await createMerchant();
  });

  const post = (body: unknown, key = nextKey()) =>
    request(sut.url).post('/payments').set(merchant.auth).set('Idempotency-Key', key).send(body as object);

  describe('POST /payments', () => {
    it('creates a charged payment', async () => {
      const response = await post(validPayment({ metadata: { orderId: '1042' } }));

      expect(response.status).toBe(201);
      expect(response.headers.location).toBe(`/payments/${response.body.id}`);
      expect(response.body).toMatchObject({
        amount: 2500,
        currency: 'USD',
        status: 'succeeded',
        description: 'Order 1042',
        metadata: { orderId: '1042' },
        declineCode: null,
      });
      const rows = await paymentsOf(merchant.id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ id: response.body.id, status: 'succeeded', amount: '2500' });
      const charges = await gatewayCharges(response.body.id);
      expect(charges).toHaveLength(1);
      expect(charges[0].id).toBe(response.body.gatewayChargeId);
    });

    it.each([
      ['tok_declined', 'card_declined'],
      ['tok_insufficient_funds', 'insufficient_funds'],
    ])('records a decline for %s as 402', async (source, declineCode) => {
      const response = await post(validPayment({ source }));

      expect(response.status).toBe(402);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({ code: 'card_declined', declineCode, status: 402 });
      const rows = await paymentsOf(merchant.id);
      expect(rows).toEqual([expect.objectContaining({ id: response.body.paymentId, status: 'declined' })]);
    });

    it('answers 504 and records nothing on a gateway timeout', async () => {
      const response = await post(validPayment({ source: 'tok_slow' }));

      expect(response.status).toBe(504);
      expect(response.body.code).toBe('gateway_timeout');
      expect(await paymentsOf(merchant.id)).toHaveLength(0);
    });

    it('answers 502 and records nothing on a gateway error', async () => {
      const response = await post(validPayment({ source: 'tok_error' }));

      expect(response.status).toBe(502);
      expect(response.body.code).toBe('gateway_error');
      expect(await paymentsOf(merchant.id)).toHaveLength(0);
    });

    it('answers 400 for a card token the gateway does not know', async () => {
      const response = await post(validPayment({ source: 'tok_unknown' }));

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('invalid_card_source');
      expect(await paymentsOf(merchant.id)).toHaveLength(0);
    });

    it.each([
      ['missing amount', { currency: 'USD', source: 'tok_visa' }],
      ['string amount', validPayment({ amount: '2500' })],
      ['zero amount', validPayment({ amount: 0 })],
      ['negative amount', validPayment({ amount: -5 })],
      ['fractional amount', validPayment({ amount: 10.5 })],
      ['too large amount', validPayment({ amount: 100_000_000 })],
      ['missing currency', { amount: 100, source: 'tok_visa' }],
      ['lower-case currency', validPayment({ currency: 'usd' })],
      ['unknown currency', validPayment({ currency: 'XYZ' })],
      ['numeric currency', validPayment({ currency: 840 })],
      ['missing source', { amount: 100, currency: 'USD' }],
      ['non-string source', validPayment({ source: 42 })],
      ['long description', validPayment({ description: 'x'.repeat(501) })],
      ['nested metadata', validPayment({ metadata: { a: { b: 'c' } } })],
      ['non-string metadata', validPayment({ metadata: { a: 1 } })],
      ['too much metadata', validPayment({ metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])) })],
      ['array metadata', validPayment({ metadata: ['a'] })],
      ['unknown field', validPayment({ customer: 'cus_1' })],
      ['array body', [validPayment()]],
      ['NUL in description', validPayment({ description: 'a\u0000b' })],
      ['NUL in a metadata key', validPayment({ metadata: { 'a\u0000': 'b' } })],
      ['lone surrogate', validPayment({ description: '\ud800' })],
      ['__proto__ field', JSON.parse('{"amount":100,"currency":"USD","source":"tok_visa","__proto__":{"x":"1"}}')],
      ['constructor metadata key', validPayment({ metadata: { constructor: 'x' } })],
      ['deep nesting', validPayment({ metadata: JSON.parse('['.repeat(1500) + ']'.repeat(1500)) })],
    ])('rejects %s with 400 and writes nothing', async (_case, body) => {
      const response = await post(body);

      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body.code).toBe('validation_failed');
      expect(await paymentsOf(merchant.id)).toHaveLength(0);
      const keys = await db().query('SELECT 1 FROM idempotency_keys WHERE merchant_id = $1', [merchant.id]);
      expect(keys.rowCount).toBe(0);
    });

    it('rejects malformed JSON with 400', async () => {
      const response = await request(sut.url)
        .post('/payments')
        .set(merchant.auth)
        .set('Idempotency-Key', nextKey())
        .set('Content-Type', 'application/json')
        .send('{"amount": 100,');

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('malformed_json');
      expect(response.body.requestId).toBe(response.headers['x-request-id']);
    });

    it('rejects a body over 100 kB with 413', async () => {
      const response = await post(validPayment({ description: 'x'.repeat(200 * 1024) }));

      expect(response.status).toBe(413);
      expect(response.body.code).toBe('payload_too_large');
      expect(await paymentsOf(merchant.id)).toHaveLength(0);
    });
  });

  describe('authentication', () => {
    it.each([
      ['no header', {}],
      ['an unknown key', { Authorization: 'Bearer sk_test_unknown' }],
      ['another scheme', { Authorization: 'Basic abc' }],
    ])('answers 401 for %s', async (_case, headers) => {
      const response = await request(sut.url).get('/payments').set(headers);

      expect(response.status).toBe(401);
      expect(response.body.code).toBe('unauthorized');
    });

    it('answers 401 for two Authorization headers', async () => {
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const url = new URL('/payments', sut.url);
        get(url, { headers: { Authorization: [merchant.auth.Authorization, 'Bearer sk_test_other'] } }, (response) => {
          response.resume();
          resolve(response.statusCode);
        }).on('error', reject);
      });

      expect(status).toBe(401);
    });

    it('leaves health checks open', async () => {
      const response = await request(sut.url).get('/health/ready');

      expect(response.status).toBe(200);
    });
  });

  describe('GET /payments/:id', () => {
    it('returns the payment to its merchant', async () => {
      const created = await post(validPayment());

      const response = await request(sut.url).get(`/payments/${created.body.id}`).set(merchant.auth);

      expect(response.status).toBe(200);
      expect(response.body).toEqual(created.body);
    });

    it("answers 404 for another merchant's payment", async () => {
      const created = await post(validPayment());
      const other = await createMerchant();

      const response = await request(sut.url).get(`/payments/${created.body.id}`).set(other.auth);

      expect(response.status).toBe(404);
      expect(response.body.code).toBe('payment_not_found');
    });

    it('answers 404 for an id that is not a uuid', async () => {
      const response = await request(sut.url).get('/payments/not-a-uuid').set(merchant.auth);

      expect(response.status).toBe(404);
    });
  });

  describe('GET /payments', () => {
    it('pages newest first with an opaque cursor', async () => {
      const created: string[] = [];
      for (let i = 0; i < 5; i++) {
        created.push((await post(validPayment({ amount: 100 + i }))).body.id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;

      do {
        const response: request.Response = await request(sut.url)
          .get('/payments')
          .query({ limit: 2, ...(cursor ? { cursor } : {}) })
          .set(merchant.auth);
        expect(response.status).toBe(200);
        seen.push(...response.body.data.map((payment: { id: string }) => payment.id));
        cursor = response.body.nextCursor;
      } while (cursor);

      expect(seen).toEqual([...created].reverse());
    });

    it.each([['0'], ['101'], ['abc'], ['0x10'], ['1e1'], [' 5']])('rejects limit=%s with 400', async (limit) => {
      const response = await request(sut.url).get('/payments').query({ limit }).set(merchant.auth);

      expect(response.status).toBe(400);
    });

    it('rejects a forged cursor with 400', async () => {
      const response = await request(sut.url).get('/payments').query({ cursor: 'bm9wZQ' }).set(merchant.auth);

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('invalid_cursor');
    });

    it('rejects a cursor naming no payment of this merchant', async () => {
      const cursor = Buffer.from('00000000-0000-4000-8000-000000000000').toString('base64url');

      const response = await request(sut.url).get('/payments').query({ cursor }).set(merchant.auth);

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('invalid_cursor');
    });

    it("never lists another merchant's payments", async () => {
      await post(validPayment());
      const other = await createMerchant();

      const response = await request(sut.url).get('/payments').set(other.auth);

      expect(response.body.data).toEqual([]);
    });
  });
});
