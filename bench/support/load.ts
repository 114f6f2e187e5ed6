import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';

/** Concurrent connections of every throughput figure. */
export const CONNECTIONS = 64;

/** The one request body of every benchmark, so that every repeat of a key matches its fingerprint. */
export const PAYMENT_BODY = JSON.stringify({ amount: 2500, currency: 'USD', source: 'tok_visa' });

export interface LoadResult {
  /** Responses with a 2xx status per second over the whole run. */
  rps: number;
  /** Latency percentiles in milliseconds, over every response. */
  p50: number;
  p99: number;
  max: number;
  responses: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
}

/** Combines runs of the same measurement: each figure is the median of the runs' figures. */
export function medianLoad(loads: LoadResult[]): LoadResult {
  const median = (pick: (load: LoadResult) => number) => {
    const sorted = loads.map(pick).sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  };
  return {
    rps: median((load) => load.rps),
    p50: median((load) => load.p50),
    p99: median((load) => load.p99),
    max: median((load) => load.max),
    responses: median((load) => load.responses),
    ok: median((load) => load.ok),
    non2xx: loads.reduce((sum, load) => sum + load.non2xx, 0),
    errors: loads.reduce((sum, load) => sum + load.errors, 0),
    timeouts: loads.reduce((sum, load) => sum + load.timeouts, 0),
    seconds: median((load) => load.seconds),
  };
}

function headers(apiKey: string): Record<string, string> {
  return { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` };
}

async function run(options: autocannon.Options): Promise<LoadResult> {
  const result = await autocannon({ connections: CONNECTIONS, timeout: 30, ...options });
  const ok = result['2xx'];
  return {
    rps: ok / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    responses: ok + result.non2xx,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds: result.duration,
  };
}

/**
 * POST /payments for `seconds` with a new UUID v4 Idempotency-Key on every request, as
 * clients send. Returns the first `keepKeys` keys sent too: they completed long before the
 * run ended, so a replay run can repeat them.
 */
export async function createLoad(url: string, apiKey: string, seconds: number, keepKeys = 0): Promise<LoadResult & { keys: string[] }> {
  const keys: string[] = [];
  const result = await paymentLoad(url, apiKey, seconds, () => {
    const key = randomUUID();
    if (keys.length < keepKeys) {
      keys.push(key);
    }
    return key;
  });
  return { ...result, keys };
}

/** POST /payments for `seconds`, cycling through `keys` whose first request has completed. */
export function replayLoad(url: string, apiKey: string, keys: readonly string[], seconds: number): Promise<LoadResult> {
  let next = 0;
  return paymentLoad(url, apiKey, seconds, () => keys[next++ % keys.length]);
}

/** POST /payments for `seconds`, each request with the Idempotency-Key that `nextKey` returns. */
function paymentLoad(url: string, apiKey: string, seconds: number, nextKey: () => string): Promise<LoadResult> {
  return run({
    url: `${url}/payments`,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: headers(apiKey),
        body: PAYMENT_BODY,
        setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'idempotency-key': nextKey() } }),
      },
    ],
  });
}

export interface PostResult {
  status: number;
  replayed: boolean;
}

/** Sends one POST /payments and reads the whole response. */
export async function postPayment(dispatcher: Agent, url: string, apiKey: string, key: string): Promise<PostResult> {
  const response = await request(`${url}/payments`, {
    method: 'POST',
    dispatcher,
    headers: { ...headers(apiKey), 'idempotency-key': key },
    body: PAYMENT_BODY,
  });
  await response.body.arrayBuffer();
  return { status: response.statusCode, replayed: response.headers['idempotent-replayed'] === 'true' };
}

/** Checks that a repeat of `key` is served as a replay; a run that only created would misreport. */
export async function expectReplay(url: string, apiKey: string, key: string): Promise<void> {
  const dispatcher = new Agent({ connections: 1 });
  try {
    const result = await postPayment(dispatcher, url, apiKey, key);
    if (result.status !== 201 || !result.replayed) {
      throw new Error(`A repeat of key ${key} returned ${result.status} (replayed: ${result.replayed}), expected a 201 replay`);
    }
  } finally {
    await dispatcher.close();
  }
}
