import { createHash } from 'node:crypto';

/**
 * Serialises parsed JSON with object keys sorted at every depth, so that two bodies
 * that differ only in key order or whitespace have the same form. Array order is kept.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((name) => (value as Record<string, unknown>)[name] !== undefined)
      .map((name) => `${JSON.stringify(name)}:${canonicalJson((value as Record<string, unknown>)[name])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** SHA-256 over the method, the route pattern and the canonical body. */
export function fingerprintRequest(method: string, route: string, body: unknown): Buffer {
  return createHash('sha256')
    .update(method.toUpperCase())
    .update('\n')
    .update(route)
    .update('\n')
    .update(canonicalJson(body))
    .digest();
}
