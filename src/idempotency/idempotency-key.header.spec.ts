import { parseIdempotencyKeyHeader } from './idempotency-key.header';

describe('parseIdempotencyKeyHeader', () => {
  it.each([
    ['a UUID', '8e0f6c7e-5bb1-4a8e-9f0e-2f2d0c1f6a11', '8e0f6c7e-5bb1-4a8e-9f0e-2f2d0c1f6a11'],
    ['visible ASCII', 'order-42_retry!~', 'order-42_retry!~'],
    ['an RFC 8941 string', '"order-42"', 'order-42'],
    ['a string with a space', '"order 42"', 'order 42'],
    ['a string with escapes', '"a\\"b\\\\c"', 'a"b\\c'],
    ['255 characters', 'k'.repeat(255), 'k'.repeat(255)],
  ])('accepts %s', (_case, header, key) => {
    expect(parseIdempotencyKeyHeader([header])).toEqual({ valid: true, key });
  });

  it.each([
    ['no header', undefined],
    ['the header twice', ['a', 'b']],
    ['an empty key', ['']],
    ['an empty string', ['""']],
    ['256 characters', ['k'.repeat(256)]],
    ['a quoted key of 256 characters', [`"${'k'.repeat(256)}"`]],
    ['a space in a bare key', ['order 42']],
    ['a tab', ['order\t42']],
    ['a non-ASCII character', ['café']],
    ['an unterminated string', ['"order']],
    ['a bad escape', ['"a\\nb"']],
    ['a control character in a string', ['"a\u0001b"']],
  ])('rejects %s', (_case, values) => {
    expect(parseIdempotencyKeyHeader(values)).toMatchObject({ valid: false });
  });
});
