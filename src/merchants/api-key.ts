import { createHash, randomBytes } from 'node:crypto';

/** Creates a secret API key. Only its SHA-256 is stored. */
export function generateApiKey(): string {
  return `sk_test_${randomBytes(24).toString('base64url')}`;
}

export function hashApiKey(apiKey: string): Buffer {
  return createHash('sha256').update(apiKey, 'utf8').digest();
}
