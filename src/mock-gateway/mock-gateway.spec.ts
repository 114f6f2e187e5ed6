import { Writable } from 'node:stream';
import pino from 'pino';

import type { Charge } from './charge';
import { type MockGatewayHandle, startMockGateway } from './mock-gateway.server';

interface JsonResponse {
  status: number;
  headers: Headers;
  body: any;
}

const VISA = { amount: 1000, currency: 'USD', source: 'tok_visa', description: 'Order 42' };

async function request(url: string, init: RequestInit = {}): Promise<JsonResponse> {
  const response = await fetch(url, init);
  const text = await response.text();
  const body: unknown = text === '' ? undefined : JSON.parse(text);
  return { status: response.status, headers: response.headers, body };
}

function postCharge(
  gateway: MockGatewayHandle,
  idempotencyKey: string | undefined,
  body: unknown,
  extra: RequestInit = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (idempotencyKey !== undefined) {
    headers['idempotency-key'] = idempotencyKey;
  }
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  return request(`${gateway.url}/v1/charges`, { method: 'POST', headers, body: payload, ...extra });
}

async function listCharges(gateway: MockGatewayHandle, idempotencyKey?: string): Promise<Charge[]> {
  const query = idempotencyKey === undefined ? '' : `?idempotencyKey=${encodeURIComponent(idempotencyKey)}`;
  const response = await request(`${gateway.url}/v1/charges${query}`);
  expect(response.status).toBe(200);
  return response.body.data as Charge[];
}

/** Polls until `condition` holds. Fails after about two seconds. */
async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await condition()) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition did not hold after 200 polls');
}

/** Tracks whether a promise has settled, without letting a rejection go unhandled. */
function track<T>(promise: Promise<T>): { settled: () => boolean; result: Promise<T> } {
  let settled = false;
  const result = promise.finally(() => {
    settled = true;
  });
  result.catch(() => undefined);
  return { settled: () => settled, result };
}

describe('mock gateway', () => {
  let gateway: MockGatewayHandle;
  let keyCounter = 0;
  const newKey = (): string => `key-${process.pid}-${++keyCounter}`;

  beforeEach(async () => {
    gateway = await startMockGateway({ port: 0, slowMs: 50, logger: false });
  });

  afterEach(async () => {
    await gateway.close();
  });

  describe('server', () => {
    it('listens on an ephemeral port', () => {
      expect(gateway.port).toBeGreaterThan(0);
      expect(gateway.url).toBe(`http://127.0.0.1:${gateway.port}`);
    });

    it('reports health', async () => {
      const response = await request(`${gateway.url}/health`);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'ok' });
    });

    it('returns 404 for an unknown route', async () => {
      const response = await request(`${gateway.url}/v1/refunds`);
      expect(response.status).toBe(404);
      expect(response.body.error).toMatchObject({ type: 'invalid_request_error', code: 'not_found' });
    });

    it('returns 404 for a path with a trailing slash', async () => {
      const response = await request(`${gateway.url}/v1/charges/`);
      expect(response.status).toBe(404);
    });

    it('returns 405 with Allow for a wrong method', async () => {
      const charges = await request(`${gateway.url}/v1/charges`, { method: 'DELETE' });
      expect(charges.status).toBe(405);
      expect(charges.body.error.code).toBe('method_not_allowed');
      expect(charges.headers.get('allow')).toBe('GET, POST');

      const health = await request(`${gateway.url}/health`, { method: 'POST' });
      expect(health.status).toBe(405);
      expect(health.headers.get('allow')).toBe('GET');
    });

    it('close is idempotent', async () => {
      const first = gateway.close();
      const second = gateway.close();
      expect(second).toBe(first);
      await first;
      await expect(fetch(`${gateway.url}/health`)).rejects.toThrow();
    });

    it('rejects an invalid port or delay', async () => {
      await expect(startMockGateway({ port: 70000, logger: false })).rejects.toThrow(RangeError);
      await expect(startMockGateway({ port: 1.5, logger: false })).rejects.toThrow(RangeError);
      await expect(startMockGateway({ slowMs: -1, logger: false })).rejects.toThrow(RangeError);
    });

    it('rejects a port already in use', async () => {
      await expect(startMockGateway({ port: gateway.port, logger: false })).rejects.toMatchObject({
        code: 'EADDRINUSE',
      });
    });
  });

  describe('request validation', () => {
    it('rejects a missing Idempotency-Key', async () => {
      const response = await postCharge(gateway, undefined, VISA);
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({ type: 'invalid_request_error', code: 'missing_idempotency_key' });
      expect(await listCharges(gateway)).toHaveLength(0);
    });

    it('rejects an empty Idempotency-Key', async () => {
      const response = await postCharge(gateway, '', VISA);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('missing_idempotency_key');
    });

    it('rejects an Idempotency-Key over 255 characters', async () => {
      const response = await postCharge(gateway, 'k'.repeat(256), VISA);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('invalid_idempotency_key');

      const longest = await postCharge(gateway, 'k'.repeat(255), VISA);
      expect(longest.status).toBe(201);
    });

    it('rejects malformed JSON', async () => {
      const response = await postCharge(gateway, newKey(), '{"amount": 1000,');
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json' });
    });

    it('rejects an empty body', async () => {
      const response = await postCharge(gateway, newKey(), '');
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('invalid_json');
    });

    it.each([
      ['array body', [VISA], 'invalid_body'],
      ['null body', null, 'invalid_body'],
      ['missing amount', { ...VISA, amount: undefined }, 'invalid_amount'],
      ['zero amount', { ...VISA, amount: 0 }, 'invalid_amount'],
      ['negative amount', { ...VISA, amount: -5 }, 'invalid_amount'],
      ['fractional amount', { ...VISA, amount: 10.5 }, 'invalid_amount'],
      ['string amount', { ...VISA, amount: '1000' }, 'invalid_amount'],
      ['unsafe integer amount', { ...VISA, amount: 2 ** 53 }, 'invalid_amount'],
      ['missing currency', { ...VISA, currency: undefined }, 'invalid_currency'],
      ['lower-case currency', { ...VISA, currency: 'usd' }, 'invalid_currency'],
      ['two-letter currency', { ...VISA, currency: 'US' }, 'invalid_currency'],
      ['missing source', { ...VISA, source: undefined }, 'invalid_source'],
      ['numeric source', { ...VISA, source: 4242 }, 'invalid_source'],
      ['numeric description', { ...VISA, description: 7 }, 'invalid_description'],
    ])('rejects %s', async (_name, body, code) => {
      const response = await postCharge(gateway, newKey(), body);
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({ type: 'invalid_request_error', code });
      expect(typeof response.body.error.message).toBe('string');
      expect(await listCharges(gateway)).toHaveLength(0);
    });

    it('rejects an unknown token without binding the key', async () => {
      const key = newKey();
      const unknown = await postCharge(gateway, key, { ...VISA, source: 'tok_unknown' });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.code).toBe('invalid_source');
      expect(await listCharges(gateway)).toHaveLength(0);

      const fixed = await postCharge(gateway, key, VISA);
      expect(fixed.status).toBe(201);
    });

    it('rejects a body over 100 KiB with a length', async () => {
      const body = JSON.stringify({ ...VISA, description: 'x'.repeat(200 * 1024) });
      const response = await postCharge(gateway, newKey(), body);
      expect(response.status).toBe(413);
      expect(response.body.error.code).toBe('body_too_large');
      expect(await listCharges(gateway)).toHaveLength(0);
    });

    it('rejects a chunked body over 100 KiB', async () => {
      const chunk = new TextEncoder().encode('x'.repeat(1024));
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 200) {
            controller.enqueue(chunk);
          } else {
            controller.close();
          }
        },
      });
      const init = { body: stream, duplex: 'half' } as RequestInit;
      const response = await postCharge(gateway, newKey(), undefined, init);
      expect(response.status).toBe(413);
      expect(response.body.error.code).toBe('body_too_large');
    });

    it('accepts a body just under the limit', async () => {
      const padding = 100 * 1024 - JSON.stringify({ ...VISA, description: '' }).length;
      const response = await postCharge(gateway, newKey(), { ...VISA, description: 'x'.repeat(padding) });
      expect(response.status).toBe(201);
    });
  });

  describe('charges', () => {
    it('creates a succeeded charge for tok_visa', async () => {
      const key = newKey();
      const response = await postCharge(gateway, key, VISA);
      expect(response.status).toBe(201);
      expect(response.headers.get('idempotent-replayed')).toBeNull();

      const charge = response.body as Charge;
      expect(Object.keys(charge).sort()).toEqual(
        [
          'id',
          'object',
          'idempotencyKey',
          'amount',
          'currency',
          'source',
          'status',
          'declineCode',
          'description',
          'createdAt',
        ].sort(),
      );
      expect(charge.id).toMatch(/^ch_[0-9a-f]{24}$/);
      expect(charge).toMatchObject({
        object: 'charge',
        idempotencyKey: key,
        amount: 1000,
        currency: 'USD',
        source: 'tok_visa',
        status: 'succeeded',
        declineCode: null,
        description: 'Order 42',
      });
      expect(new Date(charge.createdAt).toISOString()).toBe(charge.createdAt);
      expect(await listCharges(gateway)).toEqual([charge]);
    });

    it('stores a missing or null description as null', async () => {
      const omitted = await postCharge(gateway, newKey(), { amount: 500, currency: 'EUR', source: 'tok_visa' });
      expect(omitted.status).toBe(201);
      expect(omitted.body.description).toBeNull();

      const explicit = await postCharge(gateway, newKey(), { ...VISA, description: null });
      expect(explicit.status).toBe(201);
      expect(explicit.body.description).toBeNull();
    });

    it.each([
      ['tok_declined', 'card_declined'],
      ['tok_insufficient_funds', 'insufficient_funds'],
    ])('declines %s with 402', async (source, declineCode) => {
      const key = newKey();
      const response = await postCharge(gateway, key, { ...VISA, source });
      expect(response.status).toBe(402);
      expect(response.body).toMatchObject({ object: 'charge', status: 'declined', declineCode, source });

      const replay = await postCharge(gateway, key, { ...VISA, source });
      expect(replay.status).toBe(402);
      expect(replay.body).toEqual(response.body);
      expect(await listCharges(gateway)).toHaveLength(1);
    });

    it('lists charges oldest first', async () => {
      const ids: string[] = [];
      for (const source of ['tok_visa', 'tok_declined', 'tok_visa']) {
        const response = await postCharge(gateway, newKey(), { ...VISA, source });
        ids.push(response.body.id);
      }
      const listed = await listCharges(gateway);
      expect(listed.map((charge) => charge.id)).toEqual(ids);
    });

    it('filters the list by idempotency key', async () => {
      const key = newKey();
      await postCharge(gateway, newKey(), VISA);
      const matching = await postCharge(gateway, key, VISA);
      await postCharge(gateway, newKey(), VISA);

      expect(await listCharges(gateway, key)).toEqual([matching.body]);
      expect(await listCharges(gateway, 'no-such-key')).toEqual([]);
      expect(await listCharges(gateway)).toHaveLength(3);
    });
  });

  describe('idempotency', () => {
    it('replays the original charge for a repeated key', async () => {
      const key = newKey();
      const first = await postCharge(gateway, key, VISA);
      const second = await postCharge(gateway, key, VISA);

      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(await listCharges(gateway, key)).toHaveLength(1);
    });

    it('treats an omitted and a null description as equal', async () => {
      const key = newKey();
      const { description: _description, ...withoutDescription } = VISA;
      await postCharge(gateway, key, { ...withoutDescription, description: null });
      const replay = await postCharge(gateway, key, withoutDescription);
      expect(replay.status).toBe(201);
      expect(await listCharges(gateway)).toHaveLength(1);
    });

    it.each([
      ['amount', { amount: 2000 }],
      ['currency', { currency: 'EUR' }],
      ['source', { source: 'tok_declined' }],
      ['description', { description: 'Order 43' }],
    ])('rejects a reused key with a different %s', async (_field, change) => {
      const key = newKey();
      const first = await postCharge(gateway, key, VISA);
      expect(first.status).toBe(201);

      const reused = await postCharge(gateway, key, { ...VISA, ...change });
      expect(reused.status).toBe(400);
      expect(reused.body.error).toMatchObject({ type: 'invalid_request_error', code: 'idempotency_key_reused' });
      expect(await listCharges(gateway)).toHaveLength(1);
    });

    it('makes one charge for concurrent requests with one key', async () => {
      const key = newKey();
      const responses = await Promise.all(Array.from({ length: 20 }, () => postCharge(gateway, key, VISA)));

      const statuses = responses.map((response) => response.status);
      expect(statuses).toEqual(Array(20).fill(201));
      const ids = new Set(responses.map((response) => response.body.id));
      expect(ids.size).toBe(1);
      expect(await listCharges(gateway)).toHaveLength(1);
    });

    it('makes one charge per concurrent key', async () => {
      const keys = Array.from({ length: 10 }, () => newKey());
      await Promise.all(keys.flatMap((key) => [postCharge(gateway, key, VISA), postCharge(gateway, key, VISA)]));
      const charges = await listCharges(gateway);
      expect(charges.map((charge) => charge.idempotencyKey).sort()).toEqual([...keys].sort());
    });
  });

  describe('tok_slow', () => {
    it('makes one charge for concurrent requests', async () => {
      const key = newKey();
      const body = { ...VISA, source: 'tok_slow' };
      const [first, second] = await Promise.all([postCharge(gateway, key, body), postCharge(gateway, key, body)]);

      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(first.body.status).toBe('succeeded');
      expect(await listCharges(gateway)).toHaveLength(1);

      const later = await postCharge(gateway, key, body);
      expect(later.status).toBe(201);
      expect(later.body).toEqual(first.body);
    });

    it('records the charge before replying', async () => {
      const slowGateway = await startMockGateway({ slowMs: 60_000, logger: false });
      try {
        const key = newKey();
        const body = { ...VISA, source: 'tok_slow' };
        const first = track(postCharge(slowGateway, key, body));

        await waitFor(async () => (await listCharges(slowGateway, key)).length === 1);
        expect(first.settled()).toBe(false);

        const second = track(postCharge(slowGateway, key, body));
        const reused = await postCharge(slowGateway, key, { ...body, amount: 1 });
        expect(reused.status).toBe(400);
        expect(reused.body.error.code).toBe('idempotency_key_reused');
        expect(second.settled()).toBe(false);
        expect(await listCharges(slowGateway)).toHaveLength(1);

        await slowGateway.close();
        await expect(first.result).rejects.toThrow();
        await expect(second.result).rejects.toThrow();
      } finally {
        await slowGateway.close();
      }
    });
  });

  describe('tok_timeout', () => {
    it('records charge without replying', async () => {
      const key = newKey();
      const body = { ...VISA, source: 'tok_timeout' };
      const abort = new AbortController();
      const first = track(postCharge(gateway, key, body, { signal: abort.signal }));

      await waitFor(async () => (await listCharges(gateway, key)).length === 1);
      const [charge] = await listCharges(gateway, key);
      expect(charge.status).toBe('succeeded');
      expect(first.settled()).toBe(false);

      const retry = await postCharge(gateway, key, body);
      expect(retry.status).toBe(201);
      expect(retry.body).toEqual(charge);
      expect(first.settled()).toBe(false);
      expect(await listCharges(gateway)).toHaveLength(1);

      abort.abort();
      await expect(first.result).rejects.toThrow();
    });

    it('close ends the unanswered request', async () => {
      const key = newKey();
      const first = track(postCharge(gateway, key, { ...VISA, source: 'tok_timeout' }));
      await waitFor(async () => (await listCharges(gateway, key)).length === 1);

      await gateway.close();
      await expect(first.result).rejects.toThrow();
    });
  });

  describe('tok_error', () => {
    it('fails once, then succeeds', async () => {
      const key = newKey();
      const body = { ...VISA, source: 'tok_error' };

      const failed = await postCharge(gateway, key, body);
      expect(failed.status).toBe(500);
      expect(failed.body.error).toMatchObject({ type: 'api_error', code: 'internal_error' });
      expect(await listCharges(gateway)).toHaveLength(0);

      const retry = await postCharge(gateway, key, body);
      expect(retry.status).toBe(201);
      expect(retry.body).toMatchObject({ status: 'succeeded', idempotencyKey: key, source: 'tok_error' });
      expect(await listCharges(gateway)).toHaveLength(1);

      const replay = await postCharge(gateway, key, body);
      expect(replay.status).toBe(201);
      expect(replay.body).toEqual(retry.body);
      expect(await listCharges(gateway)).toHaveLength(1);
    });

    it('binds the key despite failure', async () => {
      const key = newKey();
      await postCharge(gateway, key, { ...VISA, source: 'tok_error' });
      const reused = await postCharge(gateway, key, VISA);
      expect(reused.status).toBe(400);
      expect(reused.body.error.code).toBe('idempotency_key_reused');
      expect(await listCharges(gateway)).toHaveLength(0);
    });
  });

  describe('logging', () => {
    it('logs charges without the source token or headers', async () => {
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          lines.push(chunk.toString('utf8'));
          callback();
        },
      });
      const loggedGateway = await startMockGateway({ logger: pino({ level: 'debug' }, sink), slowMs: 0 });
      try {
        const errorKey = newKey();
        const requests: Array<[source: string, key: string]> = [
          ['tok_visa', newKey()],
          ['tok_declined', newKey()],
          ['tok_error', errorKey],
          ['tok_error', errorKey],
          ['tok_slow', newKey()],
          ['tok_unknown', newKey()],
        ];
        for (const [source, key] of requests) {
          await request(`${loggedGateway.url}/v1/charges`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: 'Bearer header-secret-value',
              'idempotency-key': key,
            },
            body: JSON.stringify({ ...VISA, source }),
          });
        }

        const entries = lines.map((line) => JSON.parse(line));
        const created = entries.filter((entry) => entry.msg === 'charge created');
        expect(created).toHaveLength(4);
        const charges = await listCharges(loggedGateway);
        expect(created.map((entry) => entry.chargeId)).toEqual(charges.map((charge) => charge.id));
        expect(created[1]).toMatchObject({
          level: 30,
          idempotencyKey: requests[1][1],
          amount: 1000,
          currency: 'USD',
          status: 'declined',
          declineCode: 'card_declined',
        });

        const output = lines.join('');
        expect(output).not.toContain('tok_');
        expect(output).not.toContain('header-secret-value');
        expect(output).not.toContain('application/json');
      } finally {
        await loggedGateway.close();
      }
    });
  });
});
