import type { ExistingKey } from './idempotency-key.record';
import { decideOnExistingKey } from './key-decision';

describe('decideOnExistingKey', () => {
  const hash = Buffer.alloc(32, 1);
  const otherHash = Buffer.alloc(32, 2);
  const response = { status: 201, headers: {}, body: Buffer.from('{}') };
  const key = (overrides: Partial<ExistingKey>): ExistingKey => ({
    id: 'key-1',
    status: 'processing',
    requestHash: hash,
    leaseActive: true,
    response: null,
    ...overrides,
  });

  it('replays a completed key for the same request', () => {
    expect(decideOnExistingKey(key({ status: 'completed', leaseActive: false, response }), hash)).toEqual({ action: 'replay' });
  });

  it('waits while the owner holds a live lease', () => {
    expect(decideOnExistingKey(key({}), hash)).toEqual({ action: 'wait' });
  });

  it('claims again once the lease has expired', () => {
    expect(decideOnExistingKey(key({ leaseActive: false }), hash)).toEqual({ action: 'retry_claim' });
  });

  it.each([
    ['a completed key', key({ status: 'completed', leaseActive: false, response })],
    ['a key in flight', key({})],
    ['an abandoned key', key({ leaseActive: false })],
  ])('rejects a different request on %s', (_case, existing) => {
    expect(decideOnExistingKey(existing, otherHash)).toEqual({ action: 'mismatch' });
  });
});
