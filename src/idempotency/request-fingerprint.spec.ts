import fc from 'fast-check';
import { canonicalJson, fingerprintRequest } from './request-fingerprint';

describe('canonicalJson', () => {
  it('sorts object keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}');
  });

  it('keeps array order', () => {
    expect(canonicalJson([3, 1, 2])).not.toBe(canonicalJson([1, 2, 3]));
  });

  it('ignores key order and whitespace of the same JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const spaced = JSON.parse(JSON.stringify(value, null, 2));
        expect(canonicalJson(spaced)).toBe(canonicalJson(value));
        expect(canonicalJson(reverseKeys(value))).toBe(canonicalJson(value));
      }),
    );
  });

  it('distinguishes different values', () => {
    expect(canonicalJson({ amount: 100 })).not.toBe(canonicalJson({ amount: '100' }));
    expect(canonicalJson({ amount: 100 })).not.toBe(canonicalJson({ amount: 100, description: null }));
  });
});

describe('fingerprintRequest', () => {
  const body = { amount: 100, currency: 'USD' };

  it('is a SHA-256 digest', () => {
    expect(fingerprintRequest('POST', '/payments', body)).toHaveLength(32);
  });

  it('is the same for reordered keys', () => {
    expect(fingerprintRequest('POST', '/payments', { currency: 'USD', amount: 100 })).toEqual(
      fingerprintRequest('POST', '/payments', body),
    );
  });

  it('changes with the route', () => {
    expect(fingerprintRequest('POST', '/refunds', body)).not.toEqual(fingerprintRequest('POST', '/payments', body));
  });

  it('changes with the method', () => {
    expect(fingerprintRequest('PUT', '/payments', body)).not.toEqual(fingerprintRequest('POST', '/payments', body));
  });

  it('changes with the body', () => {
    expect(fingerprintRequest('POST', '/payments', { ...body, amount: 101 })).not.toEqual(
      fingerprintRequest('POST', '/payments', body),
    );
  });
});

function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(reverseKeys);
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).reverse().map((key) => [key, reverseKeys((value as Record<string, unknown>)[key])]));
  }
  return value;
}
