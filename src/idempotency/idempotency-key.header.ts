export const MAX_KEY_LENGTH = 255;

export type KeyHeaderResult = { valid: true; key: string } | { valid: false; reason: string };

const BARE_TOKEN = /^[\x21-\x7e]+$/;
// RFC 8941 sf-string: printable ASCII in double quotes, with \" and \\ as the only escapes.
const SF_STRING = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/;

/**
 * Parses the Idempotency-Key header. Accepts a bare token of visible ASCII (what
 * Stripe clients send, for example a UUID) and an RFC 8941 quoted string (the IETF
 * draft's form). `"abc"` and `abc` name the same key.
 *
 * @param values every occurrence of the header, so that a repeated header is rejected
 */
export function parseIdempotencyKeyHeader(values: readonly string[] | undefined): KeyHeaderResult {
  if (!values || values.length === 0) {
    return { valid: false, reason: 'The Idempotency-Key header is required on this route.' };
  }
  if (values.length > 1) {
    return { valid: false, reason: 'The Idempotency-Key header must be sent once.' };
  }

  const raw = values[0].trim();
  const key = raw.startsWith('"') ? decodeSfString(raw) : BARE_TOKEN.test(raw) ? raw : undefined;
  if (key === undefined) {
    return {
      valid: false,
      reason: 'The Idempotency-Key must be visible ASCII characters, or an RFC 8941 quoted string.',
    };
  }
  if (key.length === 0) {
    return { valid: false, reason: 'The Idempotency-Key must not be empty.' };
  }
  if (key.length > MAX_KEY_LENGTH) {
    return { valid: false, reason: `The Idempotency-Key must be at most ${MAX_KEY_LENGTH} characters.` };
  }
  return { valid: true, key };
}

function decodeSfString(raw: string): string | undefined {
  const match = SF_STRING.exec(raw);
  return match ? match[1].replace(/\\(["\\])/g, '$1') : undefined;
}
