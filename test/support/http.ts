/** A raw HTTP response, with the body bytes kept exactly as sent. */
export interface RawResponse {
  status: number;
  headers: Headers;
  body: Buffer;
  json: any;
}

/** Sends POST /payments and keeps the exact body bytes, for byte-for-byte replay checks. */
export async function postPayment(
  baseUrl: string,
  options: { apiKey: string; key?: string | string[]; body: unknown; signal?: AbortSignal },
): Promise<RawResponse> {
  const headers = new Headers({ Authorization: `Bearer ${options.apiKey}`, 'Content-Type': 'application/json' });
  for (const value of [options.key ?? []].flat()) {
    headers.append('Idempotency-Key', value);
  }
  const response = await fetch(`${baseUrl}/payments`, {
    method: 'POST',
    headers,
    body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
    signal: options.signal,
  });
  const body = Buffer.from(await response.arrayBuffer());
  let json: unknown = null;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    // Not JSON; the test looks at the bytes.
  }
  return { status: response.status, headers: response.headers, body, json };
}

/** Polls `check` until it returns a value, for at most `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) {
      return value;
    }
    await new Promise((wake) => setTimeout(wake, 100));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

export const sleep = (ms: number) => new Promise((wake) => setTimeout(wake, ms));
