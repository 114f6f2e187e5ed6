import { setTimeout as sleep } from 'node:timers/promises';

/** The result of one POST /payments, including a request that got no response. */
export interface PaymentAttempt {
  key: string | null;
  /** HTTP status, or null when no response arrived (connection error or client timeout). */
  status: number | null;
  /** Problem code of an error response, or the network error code when status is null. */
  code?: string;
  /** Payment id: the body's `id` for 201, its `paymentId` for 402. */
  paymentId?: string;
  replicaId?: string;
  replayed: boolean;
}

export interface PaymentRequest {
  baseUrl: string;
  apiKey: string;
  /** Idempotency-Key header; omitted when null. */
  key: string | null;
  body: Record<string, unknown>;
  /** The client gives up after this many milliseconds; 30 s by default. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Builds a payment body. Tests put the idempotency key in the description, which the payment row
 * and the gateway charge both store, so each key's payments and charges can be counted.
 */
export function paymentBody(description: string, source: string): Record<string, unknown> {
  return { amount: 2500, currency: 'USD', source, description };
}

/** Sends POST /payments and never throws for HTTP or network failures. */
export async function postPayment(request: PaymentRequest): Promise<PaymentAttempt> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${request.apiKey}`,
    'content-type': 'application/json',
  };
  if (request.key !== null) {
    headers['idempotency-key'] = request.key;
  }

  let response: Response;
  let text: string;
  try {
    response = await fetch(`${request.baseUrl}/payments`, {
      method: 'POST',
      headers,
      body: JSON.stringify(request.body),
      signal: AbortSignal.timeout(request.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
    text = await response.text();
  } catch (error) {
    return { key: request.key, status: null, code: networkErrorCode(error), replayed: false };
  }

  const body = parseJson(text);
  let paymentId: unknown;
  if (response.status === 201) {
    paymentId = body.id;
  } else if (response.status === 402) {
    paymentId = body.paymentId;
  }
  return {
    key: request.key,
    status: response.status,
    code: typeof body.code === 'string' ? body.code : undefined,
    paymentId: typeof paymentId === 'string' ? paymentId : undefined,
    replicaId: response.headers.get('x-replica-id') ?? undefined,
    replayed: response.headers.get('idempotent-replayed') === 'true',
  };
}

function parseJson(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Returns "client_timeout" for an aborted request, else the code of the underlying socket error. */
function networkErrorCode(error: unknown): string {
  if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return 'client_timeout';
  }
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? cause.code : 'network_error';
}

/** Statuses after which a client retries with the same key: conflicts, gateway and proxy errors. */
export function isRetryable(attempt: PaymentAttempt): boolean {
  return attempt.status === null || attempt.status === 409 || attempt.status === 502 || attempt.status === 503 || attempt.status === 504;
}

/**
 * Sends the request, then retries it with the same key while the attempt is retryable, up to
 * `maxAttempts` in all, `backoffMs` apart. Returns every attempt in order.
 */
export async function postWithRetries(
  request: PaymentRequest,
  options: { maxAttempts: number; backoffMs: number },
): Promise<PaymentAttempt[]> {
  const attempts: PaymentAttempt[] = [];
  for (let index = 0; index < options.maxAttempts; index++) {
    if (index > 0) {
      await sleep(options.backoffMs);
    }
    const attempt = await postPayment(request);
    attempts.push(attempt);
    if (!isRetryable(attempt)) {
      break;
    }
  }
  return attempts;
}
