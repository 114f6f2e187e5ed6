import { findUnacceptableJson, MAX_JSON_DEPTH } from './json-body-check';

describe('findUnacceptableJson', () => {
  it.each([
    ['a payment', { amount: 100, currency: 'USD', metadata: { orderId: 'x' } }],
    ['an array', [1, 'two', null]],
    ['paired surrogates', { description: '\ud83d\udcb3' }],
    ['the maximum depth', nest(MAX_JSON_DEPTH - 1)],
  ])('accepts %s', (_case, body) => {
    expect(findUnacceptableJson(body)).toBeUndefined();
  });

  it.each([
    ['a NUL in a value', { description: 'a\u0000b' }, /NUL/],
    ['a NUL in a key', { metadata: { 'a\u0000': 'b' } }, /NUL/],
    ['a lone high surrogate', { description: '\ud800' }, /surrogate/],
    ['a lone low surrogate', { metadata: { k: '\udc00x' } }, /surrogate/],
    ['__proto__', JSON.parse('{"__proto__": {"polluted": true}}'), /__proto__/],
    ['a nested constructor key', { metadata: { constructor: 'x' } }, /constructor/],
    ['deep nesting', nest(1500), /nested deeper/],
  ])('rejects %s', (_case, body, reason) => {
    expect(findUnacceptableJson(body)).toMatch(reason);
  });
});

function nest(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let level = 0; level < depth; level++) {
    value = [value];
  }
  return value;
}
