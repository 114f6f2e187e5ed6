import type { ChargeParams } from './charge';
import { type ErrorReply, type GatewayErrorCode, invalidRequest } from './gateway-error';

/** Stripe's limit, per https://docs.stripe.com/idempotency ("up to 255 characters long"). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export type Parsed<T> = { ok: true; value: T } | { ok: false; reply: ErrorReply };

/** Validates the Idempotency-Key header value, which Node has already trimmed. */
export function parseIdempotencyKey(header: string | string[] | undefined): Parsed<string> {
  const key = Array.isArray(header) ? header.join(', ') : (header ?? '');
  if (key === '') {
    const message =
      'The Idempotency-Key header is missing or empty. Send a unique key, such as a UUID, per charge.';
    return { ok: false, reply: invalidRequest(400, 'missing_idempotency_key', message) };
  }
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    const message = `The Idempotency-Key header is longer than ${MAX_IDEMPOTENCY_KEY_LENGTH} characters.`;
    return { ok: false, reply: invalidRequest(400, 'invalid_idempotency_key', message) };
  }
  return { ok: true, value: key };
}

/**
 * Parses and validates a JSON charge request body.
 * Fields other than amount, currency, source and description are ignored.
 */
export function parseChargeParams(body: Buffer): Parsed<ChargeParams> {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return invalidBody('invalid_json', 'The request body is not valid JSON.');
  }

  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return invalidBody('invalid_body', 'The request body must be a JSON object.');
  }
  const fields = json as Record<string, unknown>;
  const { amount, currency, source, description } = fields;

  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
    const message = 'amount must be a positive integer in the minor currency unit, such as 1000 for $10.00.';
    return invalidBody('invalid_amount', message);
  }
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) {
    const message = 'currency must be a three-letter upper-case ISO 4217 code, such as "USD".';
    return invalidBody('invalid_currency', message);
  }
  if (typeof source !== 'string') {
    return invalidBody('invalid_source', 'source must be a string with a test token, such as "tok_visa".');
  }
  if (description !== undefined && description !== null && typeof description !== 'string') {
    return invalidBody('invalid_description', 'description must be a string or null when present.');
  }

  return { ok: true, value: { amount, currency, source, description: description ?? null } };
}

function invalidBody(code: GatewayErrorCode, message: string): Parsed<never> {
  return { ok: false, reply: invalidRequest(400, code, message) };
}
